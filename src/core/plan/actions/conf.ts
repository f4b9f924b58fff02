import type { ActionPlanner } from '../types';

/** Placeholder until this action kind is written. */
export const planConf: ActionPlanner = () => [];
