import {
  MappingError,
  type CanonicalBatch,
  type CanonicalIdentifier,
} from '../../src/connector-kit/index.js';
import type { VendorxContact } from './client.js';

/** Vendorx contact → a person of this system. Throw MappingError to dead-letter one object. */
export function mapVendorxContact(c: VendorxContact): CanonicalBatch {
  if (!c.id) throw new MappingError('contact has no id', 'id');
  const identifiers: CanonicalIdentifier[] = [];
  if (c.email) identifiers.push({ kind: 'email', value: c.email });
  if (c.phone) identifiers.push({ kind: 'phone', value: c.phone });
  return {
    people: [
      {
        objectType: 'contact',
        externalId: c.id,
        updatedAt: c.updated_at,
        traits: { firstName: c.first_name, lastName: c.last_name },
        identifiers,
        payload: c,
      },
    ],
  };
}
