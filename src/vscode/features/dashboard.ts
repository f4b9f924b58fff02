// Bundle "dashboard": the provisioning dashboard (plan, apply, live output) and its engine.
export { DashboardPanel, type DashboardDeps } from '../dashboard/panel';
export { provisionAll } from '../dashboard/provision-all';
