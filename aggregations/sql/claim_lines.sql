-- Fact "claim_lines": OI_ITEMS_QTY (item type x line status), OI_SERVICES_QTY (service
-- category x line status) and OI_REMUNERATED_AMOUNT (passed lines of valuated claims), over the
-- current lines of the current claims whose reference date is in the period. Item and service
-- rows as they stand. Quantities and amounts in hundredths.
-- Sets read twice are temporary tables (DuckDB 1.5 can stall on CTEs read by several
-- branches); dates go to periods by an equality join on period_days.
CREATE TEMP TABLE line_claim AS
SELECT p.period, c.ClaimID, c.HFID AS org_key, c.ClaimStatus = 16 AS valuated
FROM tblClaim c
JOIN period_days p
  ON p.day = claim_ref(c.DateFrom, c.DateTo, c.DateClaimed, c.DateProcessed);
CREATE TEMP TABLE line_grouped AS
WITH line AS (
    SELECT c.period, c.org_key, 'OI_ITEMS_QTY' AS measure, TRIM(it.ItemType) AS typ,
           l.ClaimItemStatus AS line_status, l.QtyProvided AS qty,
           CASE WHEN l.ClaimItemStatus = 1 AND c.valuated THEN l.RemuneratedAmount END AS paid
    FROM tblClaimItems l JOIN line_claim c ON c.ClaimID = l.ClaimID
    LEFT JOIN tblItems_all it ON it.ItemID = l.ItemID
    UNION ALL
    SELECT c.period, c.org_key, 'OI_SERVICES_QTY', TRIM(s.ServCategory),
           l.ClaimServiceStatus, l.QtyProvided,
           CASE WHEN l.ClaimServiceStatus = 1 AND c.valuated THEN l.RemuneratedAmount END
    FROM tblClaimServices l JOIN line_claim c ON c.ClaimID = l.ClaimID
    LEFT JOIN tblServices_all s ON s.ServiceID = l.ServiceID
)
SELECT period, org_key, measure, typ, line_status,
       SUM(cents(qty)) AS qty, SUM(cents(paid)) AS paid
FROM line GROUP BY ALL;
SELECT measure, period, org_key, typ AS dim1, CAST(line_status AS VARCHAR) AS dim2,
       SUM(qty) AS value, 1 AS divisor
FROM line_grouped GROUP BY ALL
UNION ALL
SELECT 'OI_REMUNERATED_AMOUNT', period, org_key, NULL, NULL, SUM(paid), 1
FROM line_grouped GROUP BY ALL
