-- Fact "contributions": OI_CONTRIBUTIONS_COLLECTED (by PayDate) and OI_CONTRIBUTIONS_EARNED
-- (each contribution spread per day over its policy's cover [EffectiveDate, ExpiryDate)), by
-- product. Current premiums that are not photo fees, on current policies. Amounts in cents;
-- earned = SUM(cents x overlap days) grouped by cover days (divisor), divided exactly later.
CREATE TEMP TABLE premium AS
    SELECT pr.PayDate, cents(pr.Amount) AS cents, pol.EffectiveDate AS eff, pol.ExpiryDate AS exp,
           COALESCE(r.res_key, f.LocationId) AS org_key, prod.ProductCode AS product
    FROM tblPremium pr
    JOIN tblPolicy pol ON pol.PolicyID = pr.PolicyID
    LEFT JOIN tblFamilies_all f ON f.FamilyID = pol.FamilyID
    LEFT JOIN residence r ON r.location_id = f.LocationId
    LEFT JOIN tblProduct prod ON prod.ProdID = pol.ProdID
    WHERE NOT is_true(pr.isPhotoFee);
SELECT 'OI_CONTRIBUTIONS_COLLECTED' AS measure, p.period, pr.org_key, pr.product AS dim1,
       NULL AS dim2, SUM(pr.cents) AS value, 1 AS divisor
FROM premium pr JOIN period_days p ON p.day = pr.PayDate
GROUP BY ALL
UNION ALL
SELECT 'OI_CONTRIBUTIONS_EARNED', p.period, pr.org_key, pr.product, NULL,
       SUM(pr.cents * date_diff('day', greatest(pr.eff, p.start), least(pr.exp, p.end_excl))),
       date_diff('day', pr.eff, pr.exp)
FROM premium pr JOIN periods p ON pr.eff < p.end_excl AND pr.exp > p.start AND pr.exp > pr.eff
GROUP BY ALL
