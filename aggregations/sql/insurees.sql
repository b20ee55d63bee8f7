-- Fact "insurees": OI_INSUREES_REGISTERED / _COVERED / _NEW and OI_FAMILIES_COVERED.
-- Views: tblX = current rows, tblX_all = rows as they stand. Residence: the family's location
-- as it stands (deleted or not), rolled up by res().
-- Stocks are measured at each period's last day, flows over [start, end_excl).
WITH insuree AS (
    SELECT i.InsureeID, TRIM(i.Gender) AS sex, i.DOB AS dob,
           f.FamilyID IS NOT NULL AND f.ValidityTo IS NULL AS family_current,
           res(f.LocationId) AS org_key
    FROM tblInsuree i LEFT JOIN tblFamilies_all f ON f.FamilyID = i.FamilyID
),
-- Registered: grouped by DOB first, then expanded per period (the grouped set is small).
registered AS (
    SELECT org_key, sex, dob, COUNT(*) AS n
    FROM insuree WHERE family_current
    GROUP BY ALL
),
live_policy AS (
    SELECT * FROM tblPolicy WHERE not_idle(PolicyStatus)
),
covered AS (
    SELECT DISTINCT p.period, ip.InsureeID
    FROM tblInsureePolicy ip
    JOIN live_policy pol ON pol.PolicyID = ip.PolicyId
    JOIN periods p ON ip.EffectiveDate <= p.last_day AND ip.ExpiryDate > p.last_day
),
new_insuree AS (
    SELECT p.period, ip.InsureeID, MIN(pol.EnrollDate) AS enroll_date
    FROM tblInsureePolicy ip
    JOIN tblPolicy pol ON pol.PolicyID = ip.PolicyId
    JOIN periods p ON pol.EnrollDate >= p.start AND pol.EnrollDate < p.end_excl
    WHERE pol.PolicyStage = 'N'
    GROUP BY ALL
),
family_covered AS (
    SELECT DISTINCT p.period, pol.FamilyID
    FROM live_policy pol
    JOIN periods p ON pol.EffectiveDate <= p.last_day AND pol.ExpiryDate > p.last_day
)
SELECT 'OI_INSUREES_REGISTERED' AS measure, p.period, r.org_key, r.sex AS dim1,
       CAST(age_band(r.dob, p.last_day) AS VARCHAR) AS dim2, SUM(r.n) AS value, 1 AS divisor
FROM registered r CROSS JOIN periods p
GROUP BY ALL
UNION ALL
SELECT 'OI_INSUREES_COVERED', c.period, i.org_key, i.sex,
       CAST(age_band(i.dob, p.last_day) AS VARCHAR), COUNT(*), 1
FROM covered c JOIN periods p USING (period) JOIN insuree i ON i.InsureeID = c.InsureeID
GROUP BY ALL
UNION ALL
SELECT 'OI_INSUREES_NEW', n.period, i.org_key, i.sex,
       CAST(age_band(i.dob, n.enroll_date) AS VARCHAR), COUNT(*), 1
FROM new_insuree n JOIN insuree i ON i.InsureeID = n.InsureeID
GROUP BY ALL
UNION ALL
SELECT 'OI_FAMILIES_COVERED', fc.period, res(f.LocationId), NULL, NULL, COUNT(*), 1
FROM family_covered fc JOIN tblFamilies f ON f.FamilyID = fc.FamilyID
GROUP BY ALL
