// The interaction pages' scenario on StackContextManager (@opentelemetry/sdk-trace-web's default), for comparison.
import { StackContextManager } from '@opentelemetry/sdk-trace-web';
import { runInteractions } from './otel-interactions.js';

runInteractions(new StackContextManager());
