// The type every provisioned dashboard must have, checked by DashboardSchemaTest: Grafana's own
// dashboard schema, the types generated from it in @grafana/schema (pinned in package.json to the
// Grafana release that docker-compose.yml runs), made to accept JSON.
import type {
  Dashboard,
  VariableModel,
} from "@grafana/schema/dist/esm/raw/dashboard/x/dashboard_types.gen";

// JSON spells a string enum member by its value ("mode": "absolute" where the schema says
// ThresholdsMode), which TypeScript accepts only for the enum itself: map each string type to its
// values. Everything else is kept as the schema has it, and a dashboard written as an object
// literal still gets TypeScript's check for unknown properties.
type Json<T> = T extends string
  ? `${T}`
  : T extends Array<infer U>
    ? Array<Json<U>>
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

// Fields that Grafana reads and writes but the generated schema lacks, each allowed where it
// belongs and nowhere else:
// - templating.list[].definition: the query of a query variable as the variable list shows it
//   (QueryVariableModel in @grafana/data); the dashboard editor writes it on every save.
type Variable = VariableModel & { definition?: string };

export type GrafanaDashboard = Json<
  Omit<Dashboard, "templating"> & { templating?: { list?: Array<Variable> } }
>;
