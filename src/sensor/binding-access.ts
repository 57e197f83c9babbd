/**
 * Function code reaching for Node's bindings under its permission model, where
 * `process.binding` and `process._linkedBinding` throw ERR_ACCESS_DENIED: a binding that opens
 * files, sockets or processes, compiles code or reads memory or the environment is what reaching
 * past the hooks is for, and the attempt is reported (Node's refusal stands, unchanged). A
 * binding without such an effect (`util`, `natives`, `constants`: feature detection, which
 * real packages do in a try/catch) is Node's to refuse quietly.
 */
import { ATTACKS } from '../events/mitre';
import { EFFECTFUL_BINDINGS } from './effectful-bindings';
import { hookExport, inBypass, rawBinding } from './guard';
import { reportNotice } from './report';

export function reportRefusedBindingAccess(): void {
  if (rawBinding('fs')) return;
  for (const key of ['binding', '_linkedBinding']) {
    hookExport(process, key, (fn, self, args) => {
      const name = String(args[0]).slice(0, 64);
      if (!inBypass() && (key === '_linkedBinding' || EFFECTFUL_BINDINGS.has(name)))
        reportNotice(
          {
            surface: 'sensor',
            op: 'tamper',
            api: `process.${key}`,
            message: `process.${key}(${JSON.stringify(name)}) refused by Node's permission model`,
          },
          {
            action: 'deny',
            ruleId: 'warden.sensor.tamper',
            title: "Attempt to reach Node's bindings past Warden's hooks",
            severity: 4,
            attacks: [ATTACKS.impairDefenses],
            reason: `process.${key}(${JSON.stringify(name)}): raw binding access, refused by Node's permission model`,
          },
        );
      return fn.apply(self, args);
    });
  }
}
