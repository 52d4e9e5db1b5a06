/** Word lists for clearly fake people and plausible (non-real) clinical content. */

export const FIRST_NAMES = [
  'Avery',
  'Blake',
  'Casey',
  'Dakota',
  'Emerson',
  'Finley',
  'Gray',
  'Harper',
  'Indigo',
  'Jordan',
  'Kendall',
  'Logan',
  'Morgan',
  'Noel',
  'Oakley',
  'Parker',
  'Quinn',
  'Reese',
  'Sage',
  'Taylor',
  'Umber',
  'Vesper',
  'Wren',
  'Xen',
  'Yael',
  'Zephyr',
  'Alder',
  'Briar',
  'Cove',
  'Dune',
] as const;

export const MIDDLE_NAMES = ['A', 'B', 'C', 'D', 'E', 'J', 'K', 'L', 'M', 'R', 'S', 'T', ''] as const;

/** Surname stems; every synthetic last name is `Testperson-<stem>` so no record can pass for a real person. */
export const SURNAME_STEMS = [
  'Ashgrove',
  'Birchwell',
  'Copperfield',
  'Dunmore',
  'Elmstead',
  'Fernhill',
  'Glenrock',
  'Hollowby',
  'Ivybank',
  'Juniper',
  'Kestrel',
  'Larchmont',
  'Meadowes',
  'Northcote',
  'Oakhurst',
  'Pinecrest',
  'Quarry',
  'Rowan',
  'Stonebridge',
  'Thornbury',
  'Underhill',
  'Valewood',
  'Westbrook',
  'Yarrow',
] as const;

export const DOCTOR_SPECIALTIES = [
  'Psychiatry',
  'Psychiatric Nurse Practitioner',
  'Clinical Psychology',
  'Family Medicine',
] as const;

export const CITIES = [
  { city: 'Springfield', state: 'IL', zip: '62701' },
  { city: 'Riverton', state: 'WY', zip: '82501' },
  { city: 'Fairview', state: 'TN', zip: '37062' },
  { city: 'Franklin', state: 'MA', zip: '02038' },
  { city: 'Greenville', state: 'SC', zip: '29601' },
  { city: 'Madison', state: 'WI', zip: '53703' },
] as const;

export const STREETS = ['Test Lane', 'Sample Street', 'Example Avenue', 'Placeholder Road', 'Fixture Court'] as const;

/** Area codes paired with the fictional 555-01xx exchange. */
export const AREA_CODES = ['212', '312', '415', '503', '617', '702', '808'] as const;

export const PAYERS = [
  {
    insurance_company: 'Testcare Health Plan',
    insurance_payer_id: '99001',
    insurance_plan_type: 'CI',
    insurance_plan_name: 'Testcare PPO',
  },
  {
    insurance_company: 'Sample Mutual Insurance',
    insurance_payer_id: '99002',
    insurance_plan_type: 'HM',
    insurance_plan_name: 'Sample HMO Gold',
  },
  {
    insurance_company: 'Example Medicare Administrative Contractor',
    insurance_payer_id: '99003',
    insurance_plan_type: 'MB',
    insurance_plan_name: 'Medicare Part B',
  },
  {
    insurance_company: 'Fixture Medicaid Managed Care',
    insurance_payer_id: '99004',
    insurance_plan_type: 'MC',
    insurance_plan_name: 'State Medicaid',
  },
  {
    insurance_company: 'Placeholder Blue Cross',
    insurance_payer_id: '99005',
    insurance_plan_type: 'BL',
    insurance_plan_name: 'Blue Choice',
  },
] as const;

export const APPOINTMENT_REASONS = [
  'Medication management',
  'Psychotherapy 45 min',
  'Initial psychiatric evaluation',
  'Follow-up visit',
  'Telehealth check-in',
] as const;

export const PAST_STATUSES = [
  'Complete',
  'Complete',
  'Complete',
  'Complete',
  'Complete',
  'Complete',
  'No Show',
  'Cancelled',
] as const;
export const FUTURE_STATUSES = ['', 'Confirmed', 'Confirmed', 'Rescheduled'] as const;

export const MEDICATIONS = [
  {
    name: 'Sertraline 50 mg tablet',
    rxnorm: '312940',
    ndc: '00000-0001-01',
    dosage_quantity: '50',
    dosage_units: 'mg',
    frequency: 'once daily',
  },
  {
    name: 'Escitalopram 10 mg tablet',
    rxnorm: '349332',
    ndc: '00000-0002-01',
    dosage_quantity: '10',
    dosage_units: 'mg',
    frequency: 'once daily',
  },
  {
    name: 'Bupropion XL 150 mg tablet',
    rxnorm: '993541',
    ndc: '00000-0003-01',
    dosage_quantity: '150',
    dosage_units: 'mg',
    frequency: 'every morning',
  },
  {
    name: 'Lamotrigine 100 mg tablet',
    rxnorm: '198429',
    ndc: '00000-0004-01',
    dosage_quantity: '100',
    dosage_units: 'mg',
    frequency: 'twice daily',
  },
  {
    name: 'Trazodone 50 mg tablet',
    rxnorm: '856377',
    ndc: '00000-0005-01',
    dosage_quantity: '50',
    dosage_units: 'mg',
    frequency: 'at bedtime as needed',
  },
  {
    name: 'Aripiprazole 5 mg tablet',
    rxnorm: '349545',
    ndc: '00000-0006-01',
    dosage_quantity: '5',
    dosage_units: 'mg',
    frequency: 'once daily',
  },
] as const;

export const PROBLEMS = [
  { name: 'Major depressive disorder, single episode, moderate', icd_code: 'F32.1', snomed_ct_code: '832007' },
  { name: 'Generalized anxiety disorder', icd_code: 'F41.1', snomed_ct_code: '21897009' },
  { name: 'Post-traumatic stress disorder, unspecified', icd_code: 'F43.10', snomed_ct_code: '47505003' },
  { name: 'Attention-deficit hyperactivity disorder, combined type', icd_code: 'F90.2', snomed_ct_code: '406506008' },
  { name: 'Insomnia, unspecified', icd_code: 'G47.00', snomed_ct_code: '193462001' },
  { name: 'Bipolar II disorder', icd_code: 'F31.81', snomed_ct_code: '83225003' },
] as const;

export const ALLERGIES = [
  { description: 'Penicillin', reaction: 'Hives', snomed_reaction: '247472004', rxnorm: '70618' },
  { description: 'Sulfa drugs', reaction: 'Rash', snomed_reaction: '271807003', rxnorm: '10180' },
  { description: 'Latex', reaction: 'Contact dermatitis', snomed_reaction: '40275004', rxnorm: '' },
  { description: 'Peanuts', reaction: 'Anaphylaxis', snomed_reaction: '39579001', rxnorm: '' },
] as const;

export const NOTE_PHRASES = [
  'reports improved sleep over the past two weeks',
  'describes persistent worry about work deadlines',
  'tolerating current medication without side effects',
  'mood rated 6 of 10, up from 4 at last visit',
  'practicing breathing exercises between sessions',
  'denies suicidal ideation, plan or intent',
  'discussed sleep hygiene and screen time',
  'appetite stable, energy somewhat low in afternoons',
] as const;

/** Psychiatry/therapy CPT codes with the practice's fee (cents) and a short description (line item `description`). */
export const CPT_FEES = {
  '90791': { cents: 30_000, description: 'Psychiatric diagnostic evaluation' },
  '90792': { cents: 35_000, description: 'Psychiatric diagnostic evaluation with medical services' },
  '99213': { cents: 15_000, description: 'Office visit, established patient, low complexity' },
  '99214': { cents: 22_000, description: 'Office visit, established patient, moderate complexity' },
  '99215': { cents: 30_000, description: 'Office visit, established patient, high complexity' },
  '90833': { cents: 10_000, description: 'Psychotherapy add-on, 30 minutes, with E/M' },
  '90836': { cents: 14_000, description: 'Psychotherapy add-on, 45 minutes, with E/M' },
  '90834': { cents: 16_000, description: 'Psychotherapy, 45 minutes' },
  '90837': { cents: 22_000, description: 'Psychotherapy, 60 minutes' },
  '90847': { cents: 18_000, description: 'Family psychotherapy with patient present' },
  '96127': { cents: 2_500, description: 'Brief emotional/behavioral assessment' },
} as const;
export type CptCode = keyof typeof CPT_FEES;

/** What a visit is billed as: one code, or an E/M with a psychotherapy add-on / a screening as a second line. */
export const CODE_PLANS: ReadonlyArray<readonly [CptCode] | readonly [CptCode, CptCode]> = [
  ['90791'],
  ['90792'],
  ['99213'],
  ['99214'],
  ['99214'],
  ['99215'],
  ['99214', '90833'],
  ['99214', '90833'],
  ['99213', '90833'],
  ['99215', '90836'],
  ['90834'],
  ['90834'],
  ['90837'],
  ['90837'],
  ['90847'],
  ['90834', '96127'],
];

/** X12 CARC codes a psychiatric claim is commonly denied with (group CO): auth, necessity, missing info, timely, non-covered. */
export const DENIAL_CARCS = ['197', '50', '16', '29', '96'] as const;

/** CashPayment `payment_method` values a front desk uses for copays and balances. */
export const PAYMENT_METHODS = [
  'CRDT',
  'VISA',
  'MSTR',
  'AMEX',
  'DISC',
  'DBIT',
  'CASH',
  'CHCK',
  'DRCP',
  'SQRE',
] as const;
