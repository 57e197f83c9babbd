/**
 * Libraries the sensor needs only once a rule or an address is looked at: required on first
 * use, so loading the sensor does not evaluate them (cold start is the user's).
 */
let ipaddrModule: typeof import('ipaddr.js') | undefined;
let picomatchModule: typeof import('picomatch') | undefined;

export function ipaddr(): typeof import('ipaddr.js') {
  ipaddrModule ??= require('ipaddr.js') as typeof import('ipaddr.js');
  return ipaddrModule;
}

export function picomatch(): typeof import('picomatch') {
  picomatchModule ??= require('picomatch') as typeof import('picomatch');
  return picomatchModule;
}
