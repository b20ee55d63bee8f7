-- Fact "claims": OI_CLAIMS, _PATIENT, _CLAIMED/_APPROVED_AMOUNT, _DIAGNOSIS by reference-date
-- period; OI_CLAIMS_PROCESSED, _SETTLED and OI_SETTLEMENT_DAYS by processing-date period.
-- Current claims; the insuree and ICD rows as they stand (deleted or not).
-- The claim set is materialised once; dates go to periods by an equality join on
-- period_days (one row per day), and the five reference-date elements come from one grouped
-- pass (GROUPING SETS) instead of five scans.
CREATE TEMP TABLE claim AS
SELECT c.HFID AS org_key, CAST(c.ClaimStatus AS VARCHAR) AS status,
       TRIM(c.VisitType) AS visit, TRIM(i.Gender) AS sex,
       CAST(age_band(i.DOB, claim_ref(c.DateFrom, c.DateTo, c.DateClaimed, c.DateProcessed))
            AS VARCHAR) AS band,
       TRIM(icd.ICDCode) AS icd, cents(c.Claimed) AS claimed, cents(c.Approved) AS approved,
       claim_ref(c.DateFrom, c.DateTo, c.DateClaimed, c.DateProcessed) AS ref,
       c.DateClaimed AS claimed_on, c.DateProcessed AS processed_on
FROM tblClaim c
LEFT JOIN tblInsuree_all i ON i.InsureeID = c.InsureeID
LEFT JOIN tblICDCodes_all icd ON icd.ICDID = c.ICDID;

-- GROUPING(status, visit, sex, band, icd), a bit set per column left out of the set:
-- 7 = (status, visit), 25 = (sex, band), 15 = (status), 30 = (icd).
CREATE TEMP TABLE claim_by_ref AS
SELECT GROUPING(c.status, c.visit, c.sex, c.band, c.icd) AS grp, d.period, c.org_key,
       c.status, c.visit, c.sex, c.band, c.icd,
       COUNT(*) AS n, SUM(c.claimed) AS claimed, SUM(c.approved) AS approved
FROM claim c JOIN period_days d ON d.day = c.ref
GROUP BY GROUPING SETS (
    (d.period, c.org_key, c.status, c.visit),
    (d.period, c.org_key, c.sex, c.band),
    (d.period, c.org_key, c.status),
    (d.period, c.org_key, c.icd)
);

CREATE TEMP TABLE claim_by_processed AS
SELECT d.period, c.org_key, COUNT(*) AS processed,
       COUNT(*) FILTER (WHERE c.claimed_on <= c.processed_on) AS settled,
       SUM(date_diff('day', c.claimed_on, c.processed_on))
           FILTER (WHERE c.claimed_on <= c.processed_on) AS days
FROM claim c JOIN period_days d ON d.day = c.processed_on
GROUP BY ALL;

SELECT 'OI_CLAIMS' AS measure, period, org_key, status AS dim1, visit AS dim2,
       n AS value, 1 AS divisor
FROM claim_by_ref WHERE grp = 7
UNION ALL
SELECT 'OI_CLAIMS_PATIENT', period, org_key, sex, band, n, 1 FROM claim_by_ref WHERE grp = 25
UNION ALL
SELECT 'OI_CLAIMED_AMOUNT', period, org_key, status, NULL, claimed, 1
FROM claim_by_ref WHERE grp = 15
UNION ALL
SELECT 'OI_APPROVED_AMOUNT', period, org_key, status, NULL, approved, 1
FROM claim_by_ref WHERE grp = 15
UNION ALL
SELECT 'OI_CLAIMS_DIAGNOSIS', period, org_key, icd, NULL, n, 1 FROM claim_by_ref WHERE grp = 30
UNION ALL
SELECT 'OI_CLAIMS_PROCESSED', period, org_key, NULL, NULL, processed, 1 FROM claim_by_processed
UNION ALL
SELECT 'OI_CLAIMS_SETTLED', period, org_key, NULL, NULL, settled, 1
FROM claim_by_processed WHERE settled > 0
UNION ALL
SELECT 'OI_SETTLEMENT_DAYS', period, org_key, NULL, NULL, days, 1
FROM claim_by_processed WHERE settled > 0
