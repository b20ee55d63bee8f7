-- Reconciliation totals of OI_CLAIMS: per element and period, no org unit, no category.
-- Sets read by several branches are temporary tables (DuckDB 1.5 can stall on such CTEs).
CREATE TEMP TABLE ref_claim AS
SELECT p.period, c.ClaimID, c.InsureeID, c.ClaimStatus, c.Claimed, c.Approved, c.DateFrom,
       c.DateTo, c.DateClaimed
FROM tblClaim c
JOIN periods p ON claim_ref(c.DateFrom, c.DateTo, c.DateClaimed, c.DateProcessed)
                  BETWEEN p.start AND p.last_day;
CREATE TEMP TABLE processed AS
SELECT p.period, c.DateClaimed, c.DateProcessed
FROM tblClaim c JOIN periods p ON c.DateProcessed BETWEEN p.start AND p.last_day;
CREATE TEMP TABLE lines AS
SELECT ClaimID, 'OI_ITEMS_QTY' AS measure, ClaimItemStatus AS status, QtyProvided,
       RemuneratedAmount FROM tblClaimItems
UNION ALL
SELECT ClaimID, 'OI_SERVICES_QTY', ClaimServiceStatus, QtyProvided, RemuneratedAmount
FROM tblClaimServices;
SELECT m.measure, c.period, COUNT(*) AS value, 1 AS divisor
FROM ref_claim c
CROSS JOIN (VALUES ('OI_CLAIMS'), ('OI_CLAIMS_PATIENT'), ('OI_CLAIMS_DIAGNOSIS')) m(measure)
GROUP BY m.measure, c.period
UNION ALL
SELECT 'OI_CLAIMED_AMOUNT', period, SUM(cents(Claimed)), 1 FROM ref_claim GROUP BY period
UNION ALL
SELECT 'OI_APPROVED_AMOUNT', period, SUM(cents(Approved)), 1 FROM ref_claim GROUP BY period
UNION ALL
SELECT l.measure, c.period, SUM(cents(l.QtyProvided)), 1
FROM lines l JOIN ref_claim c ON c.ClaimID = l.ClaimID
GROUP BY l.measure, c.period
UNION ALL
SELECT 'OI_REMUNERATED_AMOUNT', c.period, SUM(cents(l.RemuneratedAmount)), 1
FROM lines l JOIN ref_claim c ON c.ClaimID = l.ClaimID
WHERE l.status = 1 AND c.ClaimStatus = 16
GROUP BY c.period
UNION ALL
SELECT 'OI_CLAIMS_PROCESSED', period, COUNT(*), 1 FROM processed GROUP BY period
UNION ALL
SELECT 'OI_CLAIMS_SETTLED', period, COUNT(*), 1
FROM processed WHERE DateClaimed <= DateProcessed GROUP BY period
UNION ALL
SELECT 'OI_SETTLEMENT_DAYS', period, SUM(DateProcessed - DateClaimed), 1
FROM processed WHERE DateClaimed <= DateProcessed GROUP BY period
UNION ALL
SELECT 'OI_DQ_CLAIMS', c.period,
       SUM(COALESCE((c.DateTo < c.DateFrom)::INT, 0) + COALESCE((c.DateClaimed < c.DateFrom)::INT, 0)
           + COALESCE((c.Approved > c.Claimed)::INT, 0)
           + (c.ClaimStatus IS NULL OR c.ClaimStatus NOT IN (1, 2, 4, 8, 16))::INT
           + COALESCE((i.ValidityTo IS NOT NULL)::INT, 0)
           + (c.ClaimStatus = 16 AND c.ClaimID NOT IN (SELECT ClaimID FROM lines))::INT), 1
FROM ref_claim c LEFT JOIN tblInsuree_all i ON i.InsureeID = c.InsureeID
GROUP BY c.period
UNION ALL
SELECT 'OI_DQ_CLAIMS', period, COUNT(*), 1
FROM processed WHERE DateProcessed < DateClaimed GROUP BY period
