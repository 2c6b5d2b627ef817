// The interaction pages' scenario on ContextVarContextManager (contextvars/opentelemetry, browser build).
import { ContextVarContextManager } from 'contextvars/opentelemetry';
import { runInteractions } from './otel-interactions.js';

runInteractions(new ContextVarContextManager());
