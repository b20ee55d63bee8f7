-- Fact "policies": OI_POLICIES_ACTIVE / _ACTIVE_PREV / _NEW / _RENEWED / _EXPIRED by product.
-- Residence: the family's location as it stands; product: the current product's code (NULL =
-- the UNKNOWN option when the policy's product is not current).
CREATE TEMP TABLE grouped AS
WITH policy AS (
    SELECT pol.*, COALESCE(r.res_key, f.LocationId) AS org_key, prod.ProductCode AS product,
           not_idle(pol.PolicyStatus) AS live
    FROM tblPolicy pol
    LEFT JOIN tblFamilies_all f ON f.FamilyID = pol.FamilyID
    LEFT JOIN residence r ON r.location_id = f.LocationId
    LEFT JOIN tblProduct prod ON prod.ProdID = pol.ProdID
),
flagged AS (
    SELECT p.period, pol.org_key, pol.product,
           pol.live AND pol.EffectiveDate <= p.last_day AND pol.ExpiryDate > p.last_day AS active,
           pol.live AND pol.EffectiveDate <= p.prev_day AND pol.ExpiryDate > p.prev_day AS active_prev,
           pol.PolicyStage = 'N' AND pol.EnrollDate >= p.start AND pol.EnrollDate < p.end_excl AS is_new,
           pol.PolicyStage = 'R' AND pol.EnrollDate >= p.start AND pol.EnrollDate < p.end_excl AS renewed,
           pol.live AND pol.ExpiryDate >= p.start AND pol.ExpiryDate < p.end_excl AS expired
    FROM policy pol
    JOIN periods p
      ON (pol.EffectiveDate <= p.last_day AND pol.ExpiryDate > p.prev_day)
      OR (pol.EnrollDate >= p.start AND pol.EnrollDate < p.end_excl)
      OR (pol.ExpiryDate >= p.start AND pol.ExpiryDate < p.end_excl)
),
grouped_ AS (
    SELECT period, org_key, product,
           COUNT(*) FILTER (WHERE active) AS active,
           COUNT(*) FILTER (WHERE active_prev) AS active_prev,
           COUNT(*) FILTER (WHERE is_new) AS is_new,
           COUNT(*) FILTER (WHERE renewed) AS renewed,
           COUNT(*) FILTER (WHERE expired) AS expired
    FROM flagged GROUP BY ALL
)
SELECT * FROM grouped_;
SELECT 'OI_POLICIES_ACTIVE' AS measure, period, org_key, product AS dim1, NULL AS dim2, active AS value, 1 AS divisor FROM grouped WHERE active > 0
UNION ALL
SELECT 'OI_POLICIES_ACTIVE_PREV', period, org_key, product, NULL, active_prev, 1 FROM grouped WHERE active_prev > 0
UNION ALL
SELECT 'OI_POLICIES_NEW', period, org_key, product, NULL, is_new, 1 FROM grouped WHERE is_new > 0
UNION ALL
SELECT 'OI_POLICIES_RENEWED', period, org_key, product, NULL, renewed, 1 FROM grouped WHERE renewed > 0
UNION ALL
SELECT 'OI_POLICIES_EXPIRED', period, org_key, product, NULL, expired, 1 FROM grouped WHERE expired > 0
