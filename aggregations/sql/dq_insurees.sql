-- Fact "dq_insurees": OI_DQ_INSUREES by issue (INDICATORS.md v1.1), a stock at each period's
-- last day. Current insurees of current families, once per issue they have; FAMILY_DELETED:
-- current insurees whose family row is not current (residence from that row as it stands).
WITH insuree AS (
    SELECT TRIM(i.Gender) AS sex, i.DOB AS dob, f.ValidityTo IS NULL AS family_current,
           res(f.LocationId) AS org_key
    FROM tblInsuree i JOIN tblFamilies_all f ON f.FamilyID = i.FamilyID
),
grouped AS (  -- one row per (residence, sex class, DOB): small, expanded per period below
    SELECT org_key, family_current, sex IS NULL OR sex NOT IN ('M', 'F', 'O') AS sex_unknown,
           dob, COUNT(*) AS n
    FROM insuree GROUP BY ALL
),
issue AS (
    SELECT p.period, g.org_key, g.n,
           g.family_current AND g.dob IS NULL AS dob_missing,
           g.family_current AND g.dob > p.last_day AS dob_future,
           g.family_current AND g.dob <= p.last_day AND age_years(g.dob, p.last_day) > 110
               AS age_over_110,
           g.family_current AND g.sex_unknown AS sex_unknown,
           NOT g.family_current AS family_deleted
    FROM grouped g CROSS JOIN periods p
)
SELECT 'OI_DQ_INSUREES' AS measure, period, org_key, 'DOB_MISSING' AS dim1, NULL AS dim2,
       SUM(n) AS value, 1 AS divisor
FROM issue WHERE dob_missing GROUP BY ALL
UNION ALL
SELECT 'OI_DQ_INSUREES', period, org_key, 'DOB_FUTURE', NULL, SUM(n), 1
FROM issue WHERE dob_future GROUP BY ALL
UNION ALL
SELECT 'OI_DQ_INSUREES', period, org_key, 'AGE_OVER_110', NULL, SUM(n), 1
FROM issue WHERE age_over_110 GROUP BY ALL
UNION ALL
SELECT 'OI_DQ_INSUREES', period, org_key, 'SEX_UNKNOWN', NULL, SUM(n), 1
FROM issue WHERE sex_unknown GROUP BY ALL
UNION ALL
SELECT 'OI_DQ_INSUREES', period, org_key, 'FAMILY_DELETED', NULL, SUM(n), 1
FROM issue WHERE family_deleted GROUP BY ALL
