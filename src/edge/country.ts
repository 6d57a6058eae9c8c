import { createRequire } from 'node:module';

interface GeoIpCountry {
  lookup(ip: string): { country: string } | null;
}

const require = createRequire(import.meta.url);
const geoip = require('geoip-country') as GeoIpCountry;

/** ISO 3166-1 alpha-2 country of an address from the offline database, or null when unknown. */
export function countryOf(address: string): string | null {
  const country = geoip.lookup(address)?.country;
  return country && /^[A-Z]{2}$/.test(country) ? country : null;
}
