// The interaction pages' scenario on OpenTelemetry's ZoneContextManager (zone.js), for comparison.
import 'zone.js';
import { ZoneContextManager } from '@opentelemetry/context-zone';
import { runInteractions } from './otel-interactions.js';

runInteractions(new ZoneContextManager());
