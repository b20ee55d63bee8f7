-- Fact "claims": OI_CLAIMS, _PATIENT, _CLAIMED/_APPROVED_AMOUNT, _DIAGNOSIS by reference-date
-- period; OI_CLAIMS_PROCESSED, _SETTLED and OI_SETTLEMENT_DAYS by processing-date period.
-- Current claims; the insuree and ICD rows as they stand (deleted or not).
WITH claim AS (
    SELECT c.ClaimID, c.HFID AS org_key, CAST(c.ClaimStatus AS VARCHAR) AS status,
           TRIM(c.VisitType) AS visit, TRIM(i.Gender) AS sex, i.DOB AS dob,
           TRIM(icd.ICDCode) AS icd, cents(c.Claimed) AS claimed, cents(c.Approved) AS approved,
           claim_ref(c.DateFrom, c.DateTo, c.DateClaimed, c.DateProcessed) AS ref,
           c.DateClaimed AS claimed_on, c.DateProcessed AS processed_on
    FROM tblClaim c
    LEFT JOIN tblInsuree_all i ON i.InsureeID = c.InsureeID
    LEFT JOIN tblICDCodes_all icd ON icd.ICDID = c.ICDID
),
by_ref AS (
    SELECT p.period, p.last_day, c.*
    FROM claim c JOIN periods p ON c.ref >= p.start AND c.ref < p.end_excl
),
by_processed AS (
    SELECT p.period, c.org_key,
           c.claimed_on IS NOT NULL AND c.claimed_on <= c.processed_on AS settled,
           date_diff('day', c.claimed_on, c.processed_on) AS days
    FROM claim c JOIN periods p ON c.processed_on >= p.start AND c.processed_on < p.end_excl
)
SELECT 'OI_CLAIMS' AS measure, period, org_key, status AS dim1, visit AS dim2,
       COUNT(*) AS value, 1 AS divisor
FROM by_ref GROUP BY ALL
UNION ALL
SELECT 'OI_CLAIMS_PATIENT', period, org_key, sex, CAST(age_band(dob, ref) AS VARCHAR), COUNT(*), 1
FROM by_ref GROUP BY ALL
UNION ALL
SELECT 'OI_CLAIMED_AMOUNT', period, org_key, status, NULL, SUM(claimed), 1
FROM by_ref GROUP BY ALL
UNION ALL
SELECT 'OI_APPROVED_AMOUNT', period, org_key, status, NULL, SUM(approved), 1
FROM by_ref GROUP BY ALL
UNION ALL
SELECT 'OI_CLAIMS_DIAGNOSIS', period, org_key, icd, NULL, COUNT(*), 1
FROM by_ref GROUP BY ALL
UNION ALL
SELECT 'OI_CLAIMS_PROCESSED', period, org_key, NULL, NULL, COUNT(*), 1
FROM by_processed GROUP BY ALL
UNION ALL
SELECT 'OI_CLAIMS_SETTLED', period, org_key, NULL, NULL, COUNT(*), 1
FROM by_processed WHERE settled GROUP BY ALL
UNION ALL
SELECT 'OI_SETTLEMENT_DAYS', period, org_key, NULL, NULL, SUM(days), 1
FROM by_processed WHERE settled GROUP BY ALL
