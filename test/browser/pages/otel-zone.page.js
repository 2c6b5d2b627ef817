// The same tracing scenario on OpenTelemetry's ZoneContextManager (zone.js), for comparison.
import 'zone.js';
import { ZoneContextManager } from '@opentelemetry/context-zone';
import { runScenario } from './otel-scenario.js';

runScenario(new ZoneContextManager());
