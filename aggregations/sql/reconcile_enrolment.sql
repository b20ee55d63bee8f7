-- Reconciliation totals of OI_ENROLMENT: per element and period, no org unit, no category.
-- Written apart from the fact SQL (plain counts and sums), so that a lost row, a wrong
-- disaggregation or a dropped catch-all in the facts or the mapping shows up.
SELECT 'OI_INSUREES_REGISTERED' AS measure, p.period, COUNT(*) AS value, 1 AS divisor
FROM tblInsuree i JOIN tblFamilies f ON f.FamilyID = i.FamilyID CROSS JOIN periods p
GROUP BY p.period
UNION ALL
SELECT 'OI_INSUREES_COVERED', p.period, COUNT(DISTINCT ip.InsureeID), 1
FROM tblInsureePolicy ip
JOIN tblPolicy pol ON pol.PolicyID = ip.PolicyId
JOIN tblInsuree i ON i.InsureeID = ip.InsureeID
JOIN periods p ON ip.EffectiveDate <= p.last_day AND p.last_day < ip.ExpiryDate
WHERE pol.PolicyStatus IS DISTINCT FROM 1
GROUP BY p.period
UNION ALL
SELECT 'OI_INSUREES_NEW', p.period, COUNT(DISTINCT ip.InsureeID), 1
FROM tblInsureePolicy ip
JOIN tblPolicy pol ON pol.PolicyID = ip.PolicyId
JOIN tblInsuree i ON i.InsureeID = ip.InsureeID
JOIN periods p ON pol.EnrollDate BETWEEN p.start AND p.last_day
WHERE pol.PolicyStage = 'N'
GROUP BY p.period
UNION ALL
SELECT 'OI_FAMILIES_COVERED', p.period, COUNT(DISTINCT pol.FamilyID), 1
FROM tblPolicy pol
JOIN tblFamilies f ON f.FamilyID = pol.FamilyID
JOIN periods p ON pol.EffectiveDate <= p.last_day AND p.last_day < pol.ExpiryDate
WHERE pol.PolicyStatus IS DISTINCT FROM 1
GROUP BY p.period
UNION ALL
SELECT m.measure, p.period,
       SUM(CASE m.measure
           WHEN 'OI_POLICIES_ACTIVE' THEN (pol.PolicyStatus IS DISTINCT FROM 1
                AND pol.EffectiveDate <= p.last_day AND p.last_day < pol.ExpiryDate)::INT
           WHEN 'OI_POLICIES_ACTIVE_PREV' THEN (pol.PolicyStatus IS DISTINCT FROM 1
                AND pol.EffectiveDate <= p.prev_day AND p.prev_day < pol.ExpiryDate)::INT
           WHEN 'OI_POLICIES_NEW' THEN (pol.PolicyStage = 'N'
                AND pol.EnrollDate BETWEEN p.start AND p.last_day)::INT
           WHEN 'OI_POLICIES_RENEWED' THEN (pol.PolicyStage = 'R'
                AND pol.EnrollDate BETWEEN p.start AND p.last_day)::INT
           ELSE (pol.PolicyStatus IS DISTINCT FROM 1
                AND pol.ExpiryDate BETWEEN p.start AND p.last_day)::INT END), 1
FROM tblPolicy pol CROSS JOIN periods p
CROSS JOIN (VALUES ('OI_POLICIES_ACTIVE'), ('OI_POLICIES_ACTIVE_PREV'), ('OI_POLICIES_NEW'),
                   ('OI_POLICIES_RENEWED'), ('OI_POLICIES_EXPIRED')) m(measure)
GROUP BY m.measure, p.period
UNION ALL
SELECT 'OI_CONTRIBUTIONS_COLLECTED', p.period, SUM(cents(pr.Amount)), 1
FROM tblPremium pr JOIN tblPolicy pol ON pol.PolicyID = pr.PolicyID
JOIN periods p ON pr.PayDate BETWEEN p.start AND p.last_day
WHERE pr.isPhotoFee IS NOT TRUE
GROUP BY p.period
UNION ALL
SELECT 'OI_CONTRIBUTIONS_EARNED', p.period,
       SUM(cents(pr.Amount) * (least(pol.ExpiryDate, p.end_excl) - greatest(pol.EffectiveDate, p.start))),
       pol.ExpiryDate - pol.EffectiveDate
FROM tblPremium pr JOIN tblPolicy pol ON pol.PolicyID = pr.PolicyID
JOIN periods p ON pol.EffectiveDate < p.end_excl AND pol.ExpiryDate > p.start
WHERE pr.isPhotoFee IS NOT TRUE AND pol.ExpiryDate > pol.EffectiveDate
GROUP BY p.period, pol.ExpiryDate - pol.EffectiveDate
UNION ALL
SELECT 'OI_DQ_INSUREES', p.period,
       SUM(CASE WHEN f.ValidityTo IS NOT NULL THEN 1 ELSE
           (i.DOB IS NULL)::INT + COALESCE((i.DOB > p.last_day)::INT, 0)
           + COALESCE((i.DOB <= p.last_day AND age_years(i.DOB, p.last_day) > 110)::INT, 0)
           + (i.Gender IS NULL OR TRIM(i.Gender) NOT IN ('M', 'F', 'O'))::INT END), 1
FROM tblInsuree i JOIN tblFamilies_all f ON f.FamilyID = i.FamilyID CROSS JOIN periods p
GROUP BY p.period
