-- Fact "dq_claims": OI_DQ_CLAIMS by issue (INDICATORS.md v1.1). Current claims with their
-- reference date in the period, once per issue they have; PROCESSED_BEFORE_CLAIMED: claims
-- processed in the period before they were claimed (left out of OI_CLAIMS_SETTLED).
-- The claim set is a temporary table (read twice; DuckDB 1.5 can stall on such a CTE).
CREATE TEMP TABLE dq_claim AS
WITH with_lines AS (
    SELECT DISTINCT ClaimID FROM tblClaimItems
    UNION
    SELECT DISTINCT ClaimID FROM tblClaimServices
)
SELECT c.HFID, c.DateFrom, c.DateTo, c.DateClaimed, c.DateProcessed, c.Claimed, c.Approved,
       c.ClaimStatus, claim_ref(c.DateFrom, c.DateTo, c.DateClaimed, c.DateProcessed) AS ref,
       i.InsureeID IS NOT NULL AND i.ValidityTo IS NOT NULL AS insuree_deleted,
       w.ClaimID IS NOT NULL AS has_lines
FROM tblClaim c
LEFT JOIN tblInsuree_all i ON i.InsureeID = c.InsureeID
LEFT JOIN with_lines w ON w.ClaimID = c.ClaimID;
WITH by_ref AS (
    SELECT p.period, c.HFID AS org_key,
           c.DateTo < c.DateFrom AS date_to_before_from,
           c.DateClaimed < c.DateFrom AS claimed_before_visit,
           c.Approved > c.Claimed AS approved_over_claimed,
           c.ClaimStatus IS NULL OR c.ClaimStatus NOT IN (1, 2, 4, 8, 16) AS status_other,
           c.insuree_deleted,
           c.ClaimStatus = 16 AND NOT c.has_lines AS valuated_without_lines
    FROM dq_claim c JOIN period_days p ON p.day = c.ref
),
issue AS (
    UNPIVOT by_ref ON date_to_before_from, claimed_before_visit, approved_over_claimed,
        status_other, insuree_deleted, valuated_without_lines
    INTO NAME issue VALUE flagged
)
SELECT 'OI_DQ_CLAIMS' AS measure, period, org_key, upper(issue) AS dim1, NULL AS dim2,
       COUNT(*) AS value, 1 AS divisor
FROM issue WHERE flagged GROUP BY ALL
UNION ALL
SELECT 'OI_DQ_CLAIMS', p.period, c.HFID, 'PROCESSED_BEFORE_CLAIMED', NULL, COUNT(*), 1
FROM dq_claim c JOIN period_days p ON p.day = c.DateProcessed
WHERE c.DateProcessed < c.DateClaimed
GROUP BY ALL
