/** GPT model, optimizer, training loops, checkpoints and generation (DJL, PyTorch engine). */
package dev.sparkllm.training;
