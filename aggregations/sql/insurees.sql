-- Fact "insurees": OI_INSUREES_REGISTERED / _COVERED / _NEW and OI_FAMILIES_COVERED.
-- Views: tblX = current rows, tblX_all = rows as they stand. Residence: the family's location
-- as it stands (deleted or not), rolled up through the residence table (location -> its
-- ancestor at the residence level; a location not in it is its own key).
-- Stocks are measured at each period's last day, flows over [start, end_excl).
-- CTEs read by several branches are temporary tables (DuckDB 1.5 can stall on such CTEs).
CREATE TEMP TABLE insuree AS
    SELECT i.InsureeID, TRIM(i.Gender) AS sex, i.DOB AS dob,
           f.FamilyID IS NOT NULL AND f.ValidityTo IS NULL AS family_current,
           COALESCE(r.res_key, f.LocationId) AS org_key
    FROM tblInsuree i LEFT JOIN tblFamilies_all f ON f.FamilyID = i.FamilyID
    LEFT JOIN residence r ON r.location_id = f.LocationId;
CREATE TEMP TABLE live_policy AS SELECT * FROM tblPolicy WHERE not_idle(PolicyStatus);
-- Each element is its own temporary table, the final query only concatenates them: DuckDB 1.5
-- stalled (every thread idle) on the four aggregates as branches of one UNION ALL.
-- Registered: grouped by residence, sex and DOB first, then expanded per period.
CREATE TEMP TABLE ins_registered AS
SELECT 'OI_INSUREES_REGISTERED' AS measure, p.period, r.org_key, r.sex AS dim1,
       CAST(age_band(r.dob, p.last_day) AS VARCHAR) AS dim2, SUM(r.n) AS value, 1 AS divisor
FROM (SELECT org_key, sex, dob, COUNT(*) AS n FROM insuree WHERE family_current GROUP BY ALL) r
CROSS JOIN periods p
GROUP BY ALL;
CREATE TEMP TABLE ins_covered AS
WITH covered AS (
    SELECT DISTINCT p.period, ip.InsureeID
    FROM tblInsureePolicy ip
    JOIN live_policy pol ON pol.PolicyID = ip.PolicyId
    JOIN periods p ON ip.EffectiveDate <= p.last_day AND ip.ExpiryDate > p.last_day
)
SELECT 'OI_INSUREES_COVERED' AS measure, c.period, i.org_key, i.sex AS dim1,
       CAST(age_band(i.dob, p.last_day) AS VARCHAR) AS dim2, COUNT(*) AS value, 1 AS divisor
FROM covered c JOIN periods p USING (period) JOIN insuree i ON i.InsureeID = c.InsureeID
GROUP BY ALL;
CREATE TEMP TABLE ins_new AS
WITH new_insuree AS (
    SELECT p.period, ip.InsureeID, MIN(pol.EnrollDate) AS enroll_date
    FROM tblInsureePolicy ip
    JOIN tblPolicy pol ON pol.PolicyID = ip.PolicyId
    JOIN period_days p ON p.day = pol.EnrollDate
    WHERE pol.PolicyStage = 'N'
    GROUP BY ALL
)
SELECT 'OI_INSUREES_NEW' AS measure, n.period, i.org_key, i.sex AS dim1,
       CAST(age_band(i.dob, n.enroll_date) AS VARCHAR) AS dim2, COUNT(*) AS value, 1 AS divisor
FROM new_insuree n JOIN insuree i ON i.InsureeID = n.InsureeID
GROUP BY ALL;
CREATE TEMP TABLE ins_families AS
WITH family_covered AS (
    SELECT DISTINCT p.period, pol.FamilyID
    FROM live_policy pol
    JOIN periods p ON pol.EffectiveDate <= p.last_day AND pol.ExpiryDate > p.last_day
)
SELECT 'OI_FAMILIES_COVERED' AS measure, fc.period, COALESCE(r.res_key, f.LocationId) AS org_key,
       NULL AS dim1, NULL AS dim2, COUNT(*) AS value, 1 AS divisor
FROM family_covered fc JOIN tblFamilies f ON f.FamilyID = fc.FamilyID
LEFT JOIN residence r ON r.location_id = f.LocationId
GROUP BY ALL;
SELECT * FROM ins_registered
UNION ALL SELECT * FROM ins_covered
UNION ALL SELECT * FROM ins_new
UNION ALL SELECT * FROM ins_families
