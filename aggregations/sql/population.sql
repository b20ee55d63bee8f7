-- Fact "population": OI_POPULATION by sex and OI_FAMILIES_TARGET of current locations, per
-- location (rolled up, and locations above the residence level left out, when the data set is
-- built). The same current figures for every (yearly) period.
SELECT 'OI_POPULATION' AS measure, p.period, l.LocationId AS org_key, s.sex AS dim1,
       NULL AS dim2,
       SUM(CASE s.sex WHEN 'M' THEN l.MalePopulation WHEN 'F' THEN l.FemalePopulation
                      ELSE l.OtherPopulation END) AS value,
       1 AS divisor
FROM tblLocations l CROSS JOIN periods p CROSS JOIN (VALUES ('M'), ('F'), ('O')) s(sex)
WHERE CASE s.sex WHEN 'M' THEN l.MalePopulation WHEN 'F' THEN l.FemalePopulation
                 ELSE l.OtherPopulation END IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT 'OI_FAMILIES_TARGET', p.period, l.LocationId, NULL, NULL, SUM(l.Families), 1
FROM tblLocations l CROSS JOIN periods p
WHERE l.Families IS NOT NULL
GROUP BY ALL
