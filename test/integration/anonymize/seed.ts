import type { Sql } from 'postgres';

// Synthetic PHI for every Safe Harbor identifier kind, in typed columns, in free text and in `raw`. Every value is
// made up; `IDENTIFIERS` lists the ones the leak scan looks for in the anonymized copy.

export const PATIENTS = {
  a: {
    id: '734905112',
    chart: 'MRN-88412',
    first: 'Marguerite',
    last: 'Okonkwo-Villanueva',
    email: 'marguerite.ov@gmail.test',
    cell: '617-824-3391',
    home: '617-824-3392',
    address: '42 Wallaby Way',
    city: 'Sommerville',
    zip: '02144',
    dob: '1984-03-12',
    ssn: '123-45-6789',
  },
  b: {
    id: '734905113',
    chart: 'MRN-88413',
    first: 'Theodosia',
    last: 'Blackwood',
    email: 'theo.blackwood@yahoo.test',
    cell: '603-471-9926',
    home: '603-471-9927',
    address: '7 Granite Hollow Rd',
    city: 'Pittsburgville',
    zip: '03601',
    dob: '1929-07-04',
    ssn: '987-65-4321',
  },
  c: {
    id: '734905114',
    chart: 'MRN-88414',
    first: 'Ezekiel',
    last: 'Farnsworth',
    email: 'zeke.farnsworth@outlook.test',
    cell: '310-662-7781',
    home: '310-662-7782',
    address: '1600 Vineyard Terrace',
    city: 'Beverlyton',
    zip: '90210-1234',
    dob: '2001-11-30',
    ssn: '555-12-3456',
  },
} as const;

export const PROVIDER = {
  id: '551200871',
  first: 'Philippa',
  last: 'Grantham',
  npi: '1487392011',
  email: 'pgrantham@clinic.test',
  phone: '617-300-1188',
};

export const OTHER = {
  memberId: 'XJH928331047',
  groupNumber: 'GRP-55102',
  employer: 'Acme Widgetworks Inc',
  subscriber: 'Reginald',
  licence: 'D1234-5678-9012',
  vin: '1HGCM82633A004352',
  device: 'SN-PACEMAKER-99812',
  url: 'https://photos.example.test/marguerite.jpg',
  ip: '203.0.113.77',
  fax: '617-824-3399',
  account: 'ACCT-44710923',
  certificate: 'CERT-LMHC-20931',
  biometric: 'FP-HASH-7fa9c2e1',
  trace: 'EFT-TRACE-66120934',
  authNumber: 'PA-AUTH-883201',
  deepcuraNoteId: 'dc-77341-alpha',
  staffEmail: 'front.desk.dana@feelaugust.test',
  documentRef: 'gs://consents/marguerite-okonkwo.pdf',
};

/** Appointment ids per patient, three each, spaced weeks apart. */
export const APPOINTMENTS: Record<keyof typeof PATIENTS, { id: string; at: string }[]> = {
  a: [
    { id: '9100000001', at: '2025-01-06 14:00:00+00' },
    { id: '9100000002', at: '2025-02-03 14:00:00+00' },
    { id: '9100000003', at: '2025-12-29 15:30:00+00' },
  ],
  b: [
    { id: '9100000011', at: '2025-03-10 10:00:00+00' },
    { id: '9100000012', at: '2025-04-07 10:00:00+00' },
    { id: '9100000013', at: '2025-05-05 10:00:00+00' },
  ],
  c: [
    { id: '9100000021', at: '2025-06-02 09:00:00+00' },
    { id: '9100000022', at: '2025-06-16 09:00:00+00' },
    { id: '9100000023', at: '2025-07-14 09:00:00+00' },
  ],
};

/** Every source value that identifies someone; none may appear anywhere in the anonymized copy. */
export const IDENTIFIERS: readonly string[] = [
  ...Object.values(PATIENTS).flatMap((p) => [
    p.id,
    p.chart,
    p.first,
    p.last,
    p.email,
    p.cell,
    p.home,
    p.address,
    p.city,
    p.zip,
    p.dob,
    p.ssn,
    p.cell.replaceAll('-', ''),
  ]),
  PROVIDER.id,
  PROVIDER.first,
  PROVIDER.last,
  PROVIDER.npi,
  PROVIDER.email,
  PROVIDER.phone,
  ...Object.values(OTHER),
  ...Object.values(APPOINTMENTS).flatMap((list) => list.map((a) => a.id)),
  '8800000001',
  '8800000002',
  '7700000001',
  '7700000002',
  '6600000001',
  '4400000001',
  '4400000002',
  '4400000003',
  '3300000001',
];

const json = (value: unknown) => JSON.stringify(value);

/** Fills a migrated, empty database with the synthetic practice above. */
export async function seedPhi(sql: Sql): Promise<void> {
  const p = PROVIDER;
  await sql`INSERT INTO providers (drchrono_id, raw, first_name, last_name, npi_number, specialty, email, office_phone, source_updated_at)
    VALUES (${p.id}, ${json({ id: Number(p.id), first_name: p.first, last_name: p.last, npi_number: p.npi, email: p.email, office_phone: p.phone, cell_phone: p.phone, specialty: 'Psychiatry', license_number: OTHER.certificate })},
      ${p.first}, ${p.last}, ${p.npi}, 'Psychiatry', ${p.email}, ${p.phone}, '2025-01-01 00:00:00+00')`;

  for (const [slot, pt] of Object.entries(PATIENTS)) {
    const raw = {
      id: Number(pt.id),
      chart_id: pt.chart,
      first_name: pt.first,
      last_name: pt.last,
      date_of_birth: pt.dob,
      email: pt.email,
      cell_phone: pt.cell,
      home_phone: pt.home,
      office_fax: OTHER.fax,
      address: pt.address,
      city: pt.city,
      state: 'MA',
      zip_code: pt.zip,
      social_security_number: pt.ssn,
      drivers_license: OTHER.licence,
      patient_photo: OTHER.url,
      doctor: Number(p.id),
      gender: 'Female',
      patient_status: 'A',
      emergency_contact_name: `${OTHER.subscriber} ${pt.last}`,
      emergency_contact_phone: pt.home,
      custom_demographics: [{ field_type: 1, value: `MRN ${pt.chart}; vehicle ${OTHER.vin}` }],
      notes: `Prefers texts to ${pt.cell}; lives at ${pt.address}, ${pt.city}`,
      updated_at: '2025-01-01T09:00:00',
      primary_insurance: {
        insurance_company: 'Blue Cross',
        insurance_id_number: OTHER.memberId,
        insurance_group_number: OTHER.groupNumber,
        insurance_group_name: OTHER.employer,
        subscriber_first_name: OTHER.subscriber,
        subscriber_last_name: pt.last,
        subscriber_date_of_birth: '1950-02-02',
      },
    };
    await sql`INSERT INTO patients (drchrono_id, raw, chart_id, first_name, last_name, nick_name, date_of_birth, gender, email, cell_phone, home_phone,
        address, city, state, zip_code, patient_status, doctor, date_of_first_appointment, date_of_last_appointment, source_updated_at)
      VALUES (${pt.id}, ${json(raw)}, ${pt.chart}, ${pt.first}, ${pt.last}, ${pt.first}, ${pt.dob}, 'Female', ${pt.email}, ${pt.cell}, ${pt.home},
        ${pt.address}, ${pt.city}, 'MA', ${pt.zip}, 'A', ${p.id}, ${APPOINTMENTS[slot as 'a'][0]!.at.slice(0, 10)}, ${APPOINTMENTS[slot as 'a'][2]!.at.slice(0, 10)},
        '2025-01-01 09:00:00+00')`;
    await sql`INSERT INTO insurance_records (drchrono_id, raw, patient, rank, insurance_company, insurance_payer_id, insurance_id_number,
        insurance_group_number, insurance_group_name, subscriber_first_name, subscriber_last_name, subscriber_date_of_birth)
      VALUES (${`${pt.id}:primary`}, ${json(raw.primary_insurance)}, ${pt.id}, 'primary', 'Blue Cross', '00123', ${OTHER.memberId},
        ${OTHER.groupNumber}, ${OTHER.employer}, ${OTHER.subscriber}, ${pt.last}, '1950-02-02')`;

    for (const [i, appt] of APPOINTMENTS[slot as 'a'].entries()) {
      await sql`INSERT INTO appointments (drchrono_id, raw, patient, doctor, office, exam_room, scheduled_time, duration, status, billing_status, reason, source_updated_at)
        VALUES (${appt.id}, ${json({ id: appt.id, patient: Number(pt.id), doctor: Number(p.id), scheduled_time: appt.at.slice(0, 19).replace(' ', 'T'), status: 'Complete', reason: `Follow-up for ${pt.first} ${pt.last}, device ${OTHER.device}`, ip_address: OTHER.ip })},
          ${pt.id}, ${p.id}, '300100', 1, ${appt.at}, 50, 'Complete', 'Billed', ${`Follow-up for ${pt.first} ${pt.last}, device ${OTHER.device}`}, ${appt.at})`;
      await sql`INSERT INTO clinical_notes (drchrono_id, raw, appointment, patient, doctor, locked, locked_by, sections)
        VALUES (${appt.id}, ${json({ id: Number(appt.id), appointment: appt.id, patient: Number(pt.id), clinical_note_sections: [{ name: 'HPI', values: [{ clinical_note_field: 12, value: `${pt.first} called from ${pt.cell}; chart ${pt.chart}` }] }], signee: { locked_by: Number(p.id) } })},
          ${appt.id}, ${pt.id}, ${p.id}, true, ${p.id}, ${`HPI: ${pt.first} ${pt.last} (${pt.chart}) reports low mood; call ${pt.cell} or ${pt.email}; SSN on file ${pt.ssn}`})`;
      await sql`INSERT INTO questionnaire_responses (patient, appointment, instrument, total_score, answers, administered_at)
        VALUES (${pt.id}, ${appt.id}, 'PHQ-9', ${5 + i}, ${json([1, 1, 0, 1, 0, 1, 0, 1, i])}, ${appt.at})`;
    }
    const first = APPOINTMENTS[slot as 'a'][0]!;
    await sql`INSERT INTO medications (drchrono_id, raw, patient, doctor, name, rxnorm, status, date_prescribed, date_started_taking)
      VALUES (${`77${pt.id}`}, ${json({ id: Number(`77${pt.id}`), patient: Number(pt.id), name: 'sertraline', notes: `Pharmacy calls ${pt.home}` })},
        ${pt.id}, ${p.id}, 'sertraline', '36437', 'active', ${first.at.slice(0, 10)}, ${first.at.slice(0, 10)})`;
    await sql`INSERT INTO problems (drchrono_id, raw, patient, doctor, name, icd_code, icd_version, status, date_diagnosis)
      VALUES (${`66${pt.id}`}, ${json({ id: Number(`66${pt.id}`), patient: Number(pt.id), icd_code: 'F33.1', notes: `${pt.first} ${pt.last}` })},
        ${pt.id}, ${p.id}, 'Major depressive disorder, recurrent', 'F33.1', 10, 'active', ${first.at.slice(0, 10)})`;
    await sql`INSERT INTO allergies (drchrono_id, raw, patient, doctor, description, reaction, status, notes)
      VALUES (${`55${pt.id}`}, ${json({ id: Number(`55${pt.id}`), patient: Number(pt.id), description: 'Penicillin' })},
        ${pt.id}, ${p.id}, 'Penicillin', 'Hives', 'active', ${`Told by ${pt.first} at ${pt.address}`})`;
    await sql`INSERT INTO intake_checklists (patient, appointment, status, items, assigned_to, due_at)
      VALUES (${pt.id}, ${first.id}, 'pending', ${json([{ item: 'insurance_card', done: true }])}, ${OTHER.staffEmail}, ${first.at})`;
    await sql`INSERT INTO consent_records (patient, consent_type, version, status, signed_at, document_ref)
      VALUES (${pt.id}, 'treatment', 'v3', 'granted', ${first.at}, ${OTHER.documentRef})`;
    const [ins] = await sql`SELECT id FROM insurance_records WHERE patient = ${pt.id}`;
    await sql`INSERT INTO prior_authorizations (patient, insurance_record_id, service_description, cpt_code, payer, auth_number, status, start_date, end_date)
      VALUES (${pt.id}, ${ins!.id}, ${`TMS for ${pt.first} ${pt.last}`}, '90867', 'Blue Cross', ${OTHER.authNumber}, 'approved', '2025-02-01', '2025-05-01')`;
  }

  // Billing and Deep Cura, on patient A's first appointment.
  const a = PATIENTS.a;
  const appt = APPOINTMENTS.a[0]!;
  await sql`INSERT INTO line_items (drchrono_id, raw, appointment, patient, doctor, code, modifiers, price, billed, ins_total, pt_paid, service_date, posted_date)
    VALUES ('8800000001', ${json({ id: 8800000001, appointment: appt.id, patient: Number(a.id), code: '90837', price: '180.00', description: `Therapy ${a.first}` })},
      ${appt.id}, ${a.id}, ${p.id}, '90837', ${['95', 'GT']}, 180.00, 180.00, 120.00, 30.00, '2025-01-06', '2025-01-08')`;
  await sql`INSERT INTO line_items (drchrono_id, raw, appointment, patient, doctor, code, price, billed, service_date)
    VALUES ('8800000002', ${json({ id: 8800000002, appointment: appt.id, patient: Number(a.id), code: '90785' })},
      ${appt.id}, ${a.id}, ${p.id}, '90785', 20.00, 20.00, '2025-01-06')`;
  await sql`INSERT INTO insurance_transactions (drchrono_id, raw, line_item, appointment, patient, doctor, ins_name, insurance_name, ins_paid, claim_status, trace_number, check_date, posted_date)
    VALUES ('7700000001', ${json({ id: 7700000001, line_item: 8800000001, trace_number: OTHER.trace, check_number: OTHER.account })},
      '8800000001', ${appt.id}, ${a.id}, ${p.id}, '1', 'Blue Cross', 120.00, '1', ${OTHER.trace}, '2025-01-20', '2025-01-21')`;
  await sql`INSERT INTO insurance_transactions (drchrono_id, raw, line_item, appointment, patient, ins_paid, adjustment, adjustment_group_code, adjustment_reason, claim_status, posted_date)
    VALUES ('7700000002', ${json({ id: 7700000002, line_item: 8800000001 })}, '8800000001', ${appt.id}, ${a.id}, 0.00, 30.00, 'CO', '45', '1', '2025-01-21')`;
  await sql`INSERT INTO patient_payments (drchrono_id, raw, patient, doctor, appointment, line_item, amount, payment_method, trace_number, notes, received_date, posted_date, created_by)
    VALUES ('6600000001', ${json({ id: 6600000001, patient: Number(a.id), amount: '30.00', notes: `Card ending 4242, ${a.first} paid; account ${OTHER.account}`, created_by: 'front.desk.dana' })},
      ${a.id}, ${p.id}, ${appt.id}, '8800000001', 30.00, 'CREDIT', ${OTHER.trace}, ${`Card ending 4242, ${a.first} paid; account ${OTHER.account}`}, '2025-01-06', '2025-01-07', 'front.desk.dana')`;
  await sql`INSERT INTO claim_statuses (claim_key, appointment, patient, payer_rank, payer_name, status, status_source, billed, insurance_paid, status_changed_at)
    VALUES (${`${appt.id}:primary`}, ${appt.id}, ${a.id}, 'primary', 'Blue Cross', 'paid', 'transaction:1', 200.00, 120.00, '2025-01-21 12:00:00+00')`;
  await sql`INSERT INTO claim_status_history (claim_key, from_status, to_status, status_source, changed_at)
    VALUES (${`${appt.id}:primary`}, NULL, 'submitted', 'ins_status:Submitted', '2025-01-08 12:00:00+00'),
           (${`${appt.id}:primary`}, 'submitted', 'paid', 'transaction:1', '2025-01-21 12:00:00+00')`;
  await sql`INSERT INTO billing_reconciliations (appointment, patient, service_date, line_item_count, charges, insurance_paid, insurance_posted, patient_paid,
      patient_posted, refunds, adjustments, adjustments_posted, balance, claim_status, needs_review)
    VALUES (${appt.id}, ${a.id}, '2025-01-06', 2, 200.00, 120.00, 120.00, 30.00, 30.00, 0, 30.00, 30.00, 20.00, 'paid', false)`;
  await sql`INSERT INTO post_appointment_tasks (appointment, patient, task_type, status, assigned_to, due_at, notes)
    VALUES (${appt.id}, ${a.id}, 'billing_review', 'open', ${OTHER.staffEmail}, '2025-01-10 12:00:00+00', ${`Call ${a.first} at ${a.cell} about ${OTHER.account}`})`;
  const transcript = `Clinician: Hello ${a.first}. Your MRN is ${a.chart} and we have ${a.cell} on file. Patient: I drove my car, VIN ${OTHER.vin}.`;
  await sql`INSERT INTO deepcura_notes (deepcura_note_id, source_appointment_id, source_patient_id, visit_date, transcript, soap_subjective, soap_objective,
      soap_assessment, soap_plan, icd10_suggestions, cpt_suggestions, medication_mentions, risk_level, risk_factors, raw, source_created_at,
      appointment, patient, clinical_note, link_status, linked_at)
    VALUES (${OTHER.deepcuraNoteId}, ${appt.id}, ${a.id}, '2025-01-06', ${transcript}, ${`${a.first} reports poor sleep`}, ${`Lives at ${a.address}`},
      ${`MDD, ${a.last}`}, ${`Email plan to ${a.email}`}, ${json([{ code: 'F33.1', description: `for ${a.first}` }])}, ${json(['90837'])},
      ${json(['sertraline 50 mg'])}, 'low', ${json([`${a.first} lives alone`])},
      ${json({ note_id: OTHER.deepcuraNoteId, appointment_id: appt.id, patient_id: a.id, visit_date: '2025-01-06', transcript, mrn: a.chart, soap: { subjective: `${a.first}`, objective: '', assessment: '', plan: '' }, created_at: '2025-01-06T15:00:00Z' })},
      '2025-01-06 15:00:00+00', ${appt.id}, ${a.id}, ${appt.id}, 'linked_appointment', '2025-01-06 15:01:00+00')`;

  // Tables staging does not get.
  await sql`INSERT INTO staff_roles (email, role, granted_by) VALUES (${OTHER.staffEmail}, 'front_desk', 'owner@feelaugust.test')`;
  await sql`INSERT INTO sync_log (kind, resource, status) VALUES ('full', 'patients', 'succeeded')`;
  await sql`INSERT INTO webhook_deliveries (source, delivery_id, event, status) VALUES ('drchrono', 'dlv-1', 'PATIENT_MODIFY', 'applied')`;
}
