// How a host of mailwright.yaml is reached: the part of the connect options its entry decides.
import type { HostConfig } from '../config/types';
import type { ConnectOptions } from './connection';

export type HostConnectOptions = Pick<
  ConnectOptions,
  'name' | 'target' | 'auth' | 'identityFile' | 'jumps' | 'identityAgent'
>;

/** The host's login, jump hosts (logged in to with the same method and key) and agent. */
export function hostConnectOptions(host: HostConfig, identityFile = host.identityFile): HostConnectOptions {
  return {
    name: host.name,
    target: host.ssh,
    auth: host.auth,
    ...(identityFile !== undefined && { identityFile }),
    ...(host.jump && { jumps: host.jump.map((target) => ({ target })) }),
    ...(host.identityAgent !== undefined && { identityAgent: host.identityAgent }),
  };
}
