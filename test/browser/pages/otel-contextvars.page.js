// The tracing scenario on ContextVarContextManager (contextvars/opentelemetry, browser build).
import { ContextVarContextManager } from 'contextvars/opentelemetry';
import { runScenario } from './otel-scenario.js';

runScenario(new ContextVarContextManager());
