/** Compact name and place lists for the population generator (fictional, phone ranges reserved for drama). */

export const FIRST_NAMES = [
  'Oliver', 'Amelia', 'George', 'Isla', 'Harry', 'Ava', 'Jack', 'Mia', 'Noah', 'Grace', 'Leo', 'Freya', 'Arthur', 'Lily',
  'Muhammad', 'Emily', 'Thomas', 'Sophie', 'James', 'Chloe', 'William', 'Ella', 'Robert', 'Charlotte', 'Daniel', 'Hannah',
  'Samuel', 'Jessica', 'Joseph', 'Olivia', 'Michael', 'Priya', 'David', 'Aisha', 'Christopher', 'Zoe', 'Matthew', 'Niamh',
  'Andrew', 'Siobhan', 'Benjamin', 'Katherine', 'Alexander', 'Elizabeth', 'Ethan', 'Margaret', 'Lucas', 'Rebecca',
  'Mateo', 'Sofia', 'Kwame', 'Yuki', 'Arjun', 'Fatima', 'Tomasz', 'Agnieszka', 'Connor', 'Megan', 'Jamal', 'Maria',
] as const;

export const LAST_NAMES = [
  'Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Robinson', 'Wright',
  'Thompson', 'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Wood', 'Jackson', 'Clarke', 'Khan', 'Hughes',
  'Edwards', 'Lewis', 'Harris', 'Martin', "O'Brien", 'Macdonald', 'Campbell', 'Garcia', 'Miller', 'Davis', 'Rodriguez',
  'Martinez', 'Anderson', 'Nguyen', 'Kowalski', 'Okafor', 'Singh', 'Chen', 'Murphy', 'Kelly', 'Fitzgerald', 'Ahmed',
  'Begum', 'Ali', 'Hussain', 'Mensah', 'Schmidt', 'Rossi', 'Dubois', 'Novak', 'Costa', 'Silva', 'Mclaughlin',
] as const;

/** A few nicknames a CRM user might type instead of the legal first name. */
export const NICKNAMES: Readonly<Record<string, string>> = {
  Robert: 'Bob', William: 'Bill', Michael: 'Mike', Christopher: 'Chris', Alexander: 'Alex', Elizabeth: 'Liz',
  Katherine: 'Kate', Margaret: 'Maggie', Benjamin: 'Ben', Matthew: 'Matt', Daniel: 'Dan', Samuel: 'Sam',
  Joseph: 'Joe', Thomas: 'Tom', James: 'Jim', Andrew: 'Andy', Rebecca: 'Becky', Jessica: 'Jess', David: 'Dave',
};

export const STREETS = [
  'High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Park Avenue', 'Mill Lane', 'Queens Road',
  'Elm Grove', 'Kings Road', 'Albert Street', 'Main Street', 'Oak Street', 'Maple Avenue', 'Cedar Lane', 'Washington Ave',
] as const;

/** UK cities with Ofcom drama landline ranges: +44 <area> <prefix> <0000-0999>. */
export const GB_CITIES = [
  { city: 'London', area: '20', prefix: '7946', postcodes: ['E1', 'N7', 'SE15', 'SW9', 'W3', 'NW6'] },
  { city: 'Manchester', area: '161', prefix: '496', postcodes: ['M1', 'M14', 'M20'] },
  { city: 'Birmingham', area: '121', prefix: '496', postcodes: ['B5', 'B13', 'B29'] },
  { city: 'Leeds', area: '113', prefix: '496', postcodes: ['LS6', 'LS8'] },
  { city: 'Bristol', area: '117', prefix: '496', postcodes: ['BS3', 'BS6'] },
  { city: 'Glasgow', area: '141', prefix: '496', postcodes: ['G3', 'G12'] },
] as const;

/** US cities; numbers use the fictional 555-0100..0199 block. */
export const US_CITIES = [
  { city: 'New York', state: 'NY', area: '212' },
  { city: 'Brooklyn', state: 'NY', area: '718' },
  { city: 'Chicago', state: 'IL', area: '312' },
  { city: 'Austin', state: 'TX', area: '512' },
  { city: 'Seattle', state: 'WA', area: '206' },
  { city: 'Boston', state: 'MA', area: '617' },
  { city: 'Denver', state: 'CO', area: '303' },
  { city: 'San Francisco', state: 'CA', area: '415' },
] as const;

export const GB_EMAIL_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.co.uk', 'hotmail.co.uk', 'icloud.com', 'btinternet.com'] as const;
export const US_EMAIL_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'aol.com'] as const;

/** Customer companies (fictional). The first few are small firms whose staff give a shared role address. */
export const COMPANIES = [
  { name: 'Brightwater Lettings', domain: 'brightwater-lettings.co.uk', roleLocal: 'support' },
  { name: 'Kestrel Bikes', domain: 'kestrelbikes.co.uk', roleLocal: 'support' },
  { name: 'Maple & Finch Bakery', domain: 'mapleandfinch.com', roleLocal: 'info' },
  { name: 'Northwind Traders', domain: 'northwind-traders.com', roleLocal: 'accounts' },
  { name: 'Harbour Lights Dental', domain: 'harbourlightsdental.co.uk', roleLocal: 'reception' },
  { name: 'Fabrikam Logistics', domain: 'fabrikam-logistics.com', roleLocal: 'support' },
  { name: 'Contoso Pharmacy', domain: 'contoso-pharmacy.co.uk', roleLocal: 'info' },
  { name: 'Tailspin Travel', domain: 'tailspintravel.com', roleLocal: 'bookings' },
  { name: 'Wingtip Architects', domain: 'wingtip-architects.co.uk', roleLocal: 'office' },
  { name: 'Adatum Legal', domain: 'adatumlegal.co.uk', roleLocal: 'enquiries' },
  { name: 'Proseware Studio', domain: 'proseware.io', roleLocal: 'hello' },
  { name: 'Litware Books', domain: 'litwarebooks.com', roleLocal: 'orders' },
] as const;

export const DEPARTMENTS = {
  Support: ['Support Agent', 'Senior Support Agent', 'Support Team Lead'],
  Sales: ['Account Executive', 'Sales Development Rep', 'Account Manager'],
  Billing: ['Billing Specialist', 'Credit Controller', 'Billing Analyst'],
  Social: ['Community Manager', 'Social Media Specialist', 'Social Care Agent'],
  Operations: ['Operations Analyst', 'Workforce Planner', 'Quality Analyst'],
  'People & HR': ['HR Advisor', 'Recruiter', 'People Partner'],
} as const;

export type Department = keyof typeof DEPARTMENTS;
