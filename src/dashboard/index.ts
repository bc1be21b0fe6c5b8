export type { Dashboard, DashboardOptions } from "./server.js";
export { startDashboard } from "./server.js";
