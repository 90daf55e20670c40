package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of earlier positions, per layer, so each generated token costs one position's
 * forward pass instead of the whole prefix. Arrays live in the cache's own manager: callers may run
 * each step in a short-lived sub-manager.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final Layer[] layers;

  public KvCache(NDManager parent, int nLayer) {
    this.manager = parent.newSubManager();
    this.layers = new Layer[nLayer];
    for (int i = 0; i < nLayer; i++) {
      layers[i] = new Layer();
    }
  }

  /** Positions already cached. */
  public long length() {
    return layers[0].keys == null ? 0 : layers[0].keys.getShape().get(2);
  }

  Layer layer(int i) {
    return layers[i];
  }

  @Override
  public void close() {
    manager.close();
  }

  /** One layer's (B, nh, T, hs) keys and values. */
  final class Layer {
    private NDArray keys;
    private NDArray values;

    NDArray appendKeys(NDArray k) {
      keys = append(keys, k);
      return keys;
    }

    NDArray appendValues(NDArray v) {
      values = append(values, v);
      return values;
    }

    private NDArray append(NDArray old, NDArray add) {
      NDArray next = old == null ? add.duplicate() : old.concat(add, 2);
      next.attach(manager);
      if (old != null) {
        old.close();
      }
      // Ops on the cached arrays (transpose, matMul) must land in the caller's step manager, not
      // pile up in the cache's; tempAttach hands them back to the cache when the step closes.
      add.getManager().tempAttachAll(next);
      return next;
    }
  }
}
