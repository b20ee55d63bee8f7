-- Reconciliation totals of OI_POPULATION: current locations at or below the residence level
-- (locations above it cannot be attributed to one org unit).
SELECT 'OI_POPULATION' AS measure, p.period,
       SUM(COALESCE(l.MalePopulation, 0) + COALESCE(l.FemalePopulation, 0)
           + COALESCE(l.OtherPopulation, 0)) AS value, 1 AS divisor
FROM tblLocations l CROSS JOIN periods p
WHERE at_or_below(l.LocationType)
GROUP BY p.period
UNION ALL
SELECT 'OI_FAMILIES_TARGET', p.period, SUM(COALESCE(l.Families, 0)), 1
FROM tblLocations l CROSS JOIN periods p
WHERE at_or_below(l.LocationType)
GROUP BY p.period
