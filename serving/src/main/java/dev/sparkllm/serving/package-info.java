/** The REST server: OpenAI-style completions over one model with continuous batching. */
package dev.sparkllm.serving;
