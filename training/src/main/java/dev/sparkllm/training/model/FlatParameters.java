package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's parameters as views of one contiguous fp32 buffer, so the optimizer updates the whole
 * model with a handful of ops on that buffer instead of a dozen per parameter (each a JNI call, a
 * kernel launch and a temporary). Weights that AdamW decays (2-D: matrices and embeddings) come
 * first, then biases and LayerNorm, so weight decay is one op on a prefix. The parameters stay
 * ordinary autograd leaves (a view of a buffer that needs no gradient may be a leaf); their
 * gradients are separate tensors, gathered into the same layout by {@link #gather}.
 */
public final class FlatParameters {
  private final Map<String, long[]> ranges; // name -> {offset, size}
  private final Map<String, Shape> shapes;
  private final List<String> order;
  private final long size;
  private final long decayed;
  private final List<Group> groups;
  private NDArray buffer;

  /**
   * Consecutive parameters whose elements [offset, offset + size) are updated together. A group
   * holds at most {@link #GROUP_ELEMENTS} elements unless one parameter alone is larger, and never
   * mixes decayed and undecayed weights.
   */
  public record Group(long offset, long size, List<String> names, boolean decays) {}

  /**
   * Why groups rather than one op over the whole buffer: glibc serves allocations above 32 MB with
   * a fresh mmap each time, so every temporary the size of a whole model page-faults in full (a
   * flat AdamW over mini's 56 MB was 2.7× slower than the per-parameter loop). 4 MB temporaries are
   * reused from the heap and stay closer to cache, at a dozen ops per group.
   */
  static final long GROUP_ELEMENTS = 1L << 20;

  private FlatParameters(Map<String, Parameter> params, long groupElements) {
    Map<String, long[]> r = new LinkedHashMap<>();
    Map<String, Shape> s = new LinkedHashMap<>();
    List<String> o = new ArrayList<>();
    long offset = 0;
    long decayedEnd = 0;
    for (int pass = 0; pass < 2; pass++) {
      for (Map.Entry<String, Parameter> e : params.entrySet()) {
        Shape shape = e.getValue().getShape();
        if ((pass == 0) != decays(shape)) {
          continue;
        }
        r.put(e.getKey(), new long[] {offset, shape.size()});
        s.put(e.getKey(), shape);
        o.add(e.getKey());
        offset += shape.size();
      }
      if (pass == 0) {
        decayedEnd = offset;
      }
    }
    this.ranges = Collections.unmodifiableMap(r);
    this.shapes = Collections.unmodifiableMap(s);
    this.order = List.copyOf(o);
    this.size = offset;
    this.decayed = decayedEnd;
    List<Group> g = new ArrayList<>();
    List<String> names = new ArrayList<>();
    long start = 0;
    long end = 0;
    for (String name : o) {
      long[] range = r.get(name);
      boolean split =
          !names.isEmpty() && (end + range[1] - start > groupElements || end == decayedEnd);
      if (split) {
        g.add(new Group(start, end - start, List.copyOf(names), start < decayedEnd));
        names.clear();
        start = end;
      }
      names.add(name);
      end += range[1];
    }
    if (!names.isEmpty()) {
      g.add(new Group(start, end - start, List.copyOf(names), start < decayedEnd));
    }
    this.groups = List.copyOf(g);
  }

  /** AdamW's rule: weight decay on matrices and embeddings, not on biases or LayerNorm. */
  public static boolean decays(Shape shape) {
    return shape.dimension() >= 2;
  }

  /**
   * Lays out {@code params} (shapes set, not yet initialized) and makes each one's initializer
   * write its usual values into the shared buffer and hand back a view of it, so draws from the
   * engine's RNG and their order are exactly as without the buffer.
   */
  static FlatParameters attach(NDManager manager, Map<String, Parameter> params) {
    return attach(manager, params, GROUP_ELEMENTS);
  }

  /** {@link #attach(NDManager, Map)} with groups of at most {@code groupElements} (tests). */
  public static FlatParameters attach(
      NDManager manager, Map<String, Parameter> params, long groupElements) {
    FlatParameters flat = new FlatParameters(params, groupElements);
    flat.buffer = manager.zeros(new Shape(flat.size), DataType.FLOAT32);
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      Parameter p = e.getValue();
      Initializer original = p.getInitializer();
      long[] range = flat.ranges.get(e.getKey());
      p.setInitializer(
          (m, shape, type) -> {
            NDArray slice = flat.buffer.get(new NDIndex("{}:{}", range[0], range[0] + range[1]));
            try (NDArray init = original.initialize(m, shape, type)) {
              slice.set(new NDIndex(":"), init.reshape(-1));
            }
            NDArray view = slice.reshape(shape);
            slice.close(); // the handle only; the view keeps the storage
            return view;
          });
    }
    return flat;
  }

  /** The buffer itself (1-D, fp32); writing it writes the parameters. */
  public NDArray buffer() {
    return buffer;
  }

  /** Number of elements. */
  public long size() {
    return size;
  }

  /** Elements [0, decayed()) belong to weights that AdamW decays. */
  public long decayed() {
    return decayed;
  }

  /** The update groups, in buffer order. */
  public List<Group> groups() {
    return groups;
  }

  /** Elements [offset, offset + size) of a 1-D array, as a view owned by {@code owner}. */
  public static NDArray range(NDArray flat, long offset, long size, NDManager owner) {
    NDArray slice = flat.get(new NDIndex("{}:{}", offset, offset + size));
    slice.attach(owner);
    return slice;
  }

  /** Names in buffer order. */
  public List<String> names() {
    return order;
  }

  /**
   * Named views (parameter shapes) of {@code flat}, any 1-D array with this layout: the gradient,
   * an optimizer moment. Writing a view writes {@code flat}. The handles belong to {@code owner}.
   */
  public Map<String, NDArray> views(NDArray flat, NDManager owner) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (String name : order) {
      long[] r = ranges.get(name);
      NDArray slice = flat.get(new NDIndex("{}:{}", r[0], r[0] + r[1]));
      NDArray view = slice.reshape(shapes.get(name));
      slice.close();
      view.attach(owner);
      out.put(name, view);
    }
    return out;
  }

  /**
   * Named arrays (e.g. gradients) gathered per {@link Group}: one 1-D array per group, owned by
   * {@code scope} (a group of one parameter is a view of that parameter's array, not a copy).
   */
  public List<NDArray> gather(Map<String, NDArray> arrays, NDManager scope) {
    List<NDArray> out = new ArrayList<>(groups.size());
    for (Group group : groups) {
      NDList parts = new NDList(group.names().size());
      for (String name : group.names()) {
        NDArray a = arrays.get(name);
        if (a == null) {
          throw new IllegalArgumentException("no array for parameter " + name);
        }
        parts.add(a.reshape(-1));
      }
      NDArray g = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts);
      g.attach(scope);
      if (parts.size() > 1) {
        parts.close();
      }
      out.add(g);
    }
    return out;
  }

  /**
   * Named views (parameter shapes) of arrays gathered by {@link #gather}, owned by {@code owner}.
   */
  public Map<String, NDArray> views(List<NDArray> gathered, NDManager owner) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (int i = 0; i < groups.size(); i++) {
      Group group = groups.get(i);
      for (String name : group.names()) {
        long[] r = ranges.get(name);
        NDArray slice = range(gathered.get(i), r[0] - group.offset(), r[1], owner);
        NDArray view = slice.reshape(shapes.get(name));
        view.attach(owner);
        out.put(name, view);
      }
    }
    return out;
  }
}
