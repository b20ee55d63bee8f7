-- Fact "dq_insurees": OI_DQ_INSUREES by issue (INDICATORS.md v1.1), a stock at each period's
-- last day. Current insurees of current families, once per issue they have; FAMILY_DELETED:
-- current insurees whose family row is not current (residence from that row as it stands).
-- One grouped pass counts every issue (a temporary table: DuckDB 1.5 can stall on a CTE read
-- by several branches); an issue with no insuree in a group gives no row.
CREATE TEMP TABLE dq_insuree_issues AS
WITH insuree AS (
    SELECT TRIM(i.Gender) AS sex, i.DOB AS dob, f.ValidityTo IS NULL AS family_current,
           COALESCE(r.res_key, f.LocationId) AS org_key
    FROM tblInsuree i JOIN tblFamilies_all f ON f.FamilyID = i.FamilyID
    LEFT JOIN residence r ON r.location_id = f.LocationId
),
grouped AS (  -- one row per (residence, family state, sex class, DOB), expanded per period
    SELECT org_key, family_current, sex IS NULL OR sex NOT IN ('M', 'F', 'O') AS sex_unknown,
           dob, COUNT(*) AS n
    FROM insuree GROUP BY ALL
)
SELECT p.period, g.org_key,
       SUM(g.n) FILTER (WHERE g.family_current AND g.dob IS NULL) AS dob_missing,
       SUM(g.n) FILTER (WHERE g.family_current AND g.dob > p.last_day) AS dob_future,
       SUM(g.n) FILTER (WHERE g.family_current AND g.dob <= p.last_day
                        AND age_years(g.dob, p.last_day) > 110) AS age_over_110,
       SUM(g.n) FILTER (WHERE g.family_current AND g.sex_unknown) AS sex_unknown,
       SUM(g.n) FILTER (WHERE NOT g.family_current) AS family_deleted
FROM grouped g CROSS JOIN periods p
GROUP BY ALL;
SELECT 'OI_DQ_INSUREES' AS measure, period, org_key, 'DOB_MISSING' AS dim1, NULL AS dim2,
       dob_missing AS value, 1 AS divisor
FROM dq_insuree_issues WHERE dob_missing > 0
UNION ALL
SELECT 'OI_DQ_INSUREES', period, org_key, 'DOB_FUTURE', NULL, dob_future, 1
FROM dq_insuree_issues WHERE dob_future > 0
UNION ALL
SELECT 'OI_DQ_INSUREES', period, org_key, 'AGE_OVER_110', NULL, age_over_110, 1
FROM dq_insuree_issues WHERE age_over_110 > 0
UNION ALL
SELECT 'OI_DQ_INSUREES', period, org_key, 'SEX_UNKNOWN', NULL, sex_unknown, 1
FROM dq_insuree_issues WHERE sex_unknown > 0
UNION ALL
SELECT 'OI_DQ_INSUREES', period, org_key, 'FAMILY_DELETED', NULL, family_deleted, 1
FROM dq_insuree_issues WHERE family_deleted > 0
