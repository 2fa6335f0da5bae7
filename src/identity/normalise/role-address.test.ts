import { describe, expect, it } from '@jest/globals';
import { isRoleAddress } from './role-address.js';

describe('isRoleAddress', () => {
  it.each([
    'support@acme.com',
    'INFO@acme.com',
    'noreply@acme.com',
    'no-reply@acme.com',
    'no_reply@acme.com',
    'do-not-reply@acme.com',
    'admin@acme.com',
    'sales@acme.com',
    'billing@acme.com',
    'help@acme.com',
    'contact@acme.com',
    'hello@acme.com',
    'team@acme.com',
    'office@acme.com',
    'support+tickets@acme.com',
    'customer.service@acme.com',
    'customer_support@acme.com',
    ' postmaster@acme.com ',
    'accounts@acme.co.uk',
  ])('%s is a role address', (email) => {
    expect(isRoleAddress(email)).toBe(true);
  });

  it.each([
    'jane@acme.com',
    'jane.support@acme.com',
    'salesman@acme.com',
    'helen@acme.com',
    'info',
    '@acme.com',
    'hello.kitty@acme.com',
    'teamlead@acme.com',
  ])('%s is a person', (email) => {
    expect(isRoleAddress(email)).toBe(false);
  });
});
