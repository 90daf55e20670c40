package dev.sparkllm.training.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.sparkllm.training.optim.AdamW;
import dev.sparkllm.training.optim.Gradients;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FlatParametersTest {
  /** Mixed 2-D and 1-D shapes in an interleaved order, as a GPT block has them. */
  private static final Map<String, Shape> SHAPES = new LinkedHashMap<>();

  static {
    SHAPES.put("emb", new Shape(7, 2));
    SHAPES.put("ln.weight", new Shape(3));
    SHAPES.put("fc.weight", new Shape(3, 4));
    SHAPES.put("fc.bias", new Shape(4));
    SHAPES.put("proj.weight", new Shape(5, 3));
    SHAPES.put("proj.bias", new Shape(5));
    SHAPES.put("big.weight", new Shape(6, 5)); // 30 elements: a group of its own at 16
  }

  private record Model(Map<String, Parameter> params, FlatParameters flat) {}

  private static Map<String, Parameter> params(NDManager m, int seed, boolean flat) {
    return model(m, seed, flat).params();
  }

  private static Model model(NDManager m, int seed, boolean flat) {
    Map<String, Parameter> out = new LinkedHashMap<>();
    int i = 0;
    for (Map.Entry<String, Shape> e : SHAPES.entrySet()) {
      int s = seed + i++;
      out.put(
          e.getKey(),
          Parameter.builder()
              .setName(e.getKey())
              .setType(Parameter.Type.WEIGHT)
              .optShape(e.getValue())
              .optInitializer(
                  (mm, shape, type) -> {
                    Engine.getInstance().setRandomSeed(s);
                    return mm.randomNormal(0f, 1f, shape, type);
                  })
              .build());
    }
    FlatParameters f = flat ? FlatParameters.attach(m, out, 16) : null;
    out.values().forEach(p -> p.initialize(m, DataType.FLOAT32));
    return new Model(out, f);
  }

  private static FlatParameters layout(NDManager m) {
    Map<String, Parameter> p = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : SHAPES.entrySet()) {
      p.put(
          e.getKey(),
          Parameter.builder()
              .setName(e.getKey())
              .setType(Parameter.Type.WEIGHT)
              .optShape(e.getValue())
              .optInitializer((mm, shape, type) -> mm.ones(shape, type))
              .build());
    }
    FlatParameters flat = FlatParameters.attach(m, p, 16);
    p.values().forEach(x -> x.initialize(m, DataType.FLOAT32));
    return flat;
  }

  @Test
  void parametersAreViewsOfOneBufferWithDecayedWeightsFirst() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, Parameter> p = params(m, 1, true);
      Map<String, Parameter> plain = params(m, 1, false);
      // Same values as without the buffer: the initializers ran as before.
      for (String name : SHAPES.keySet()) {
        assertThat(p.get(name).getArray().toFloatArray())
            .containsExactly(plain.get(name).getArray().toFloatArray());
      }
      FlatParameters flat = layout(m);
      assertThat(flat.names())
          .containsExactly(
              "emb", "fc.weight", "proj.weight", "big.weight", "ln.weight", "fc.bias", "proj.bias");
      assertThat(flat.decayed()).isEqualTo(14 + 12 + 15 + 30);
      assertThat(flat.size()).isEqualTo(flat.decayed() + 3 + 4 + 5);
      for (FlatParameters.Group g : flat.groups()) {
        assertThat(g.size() <= 16 || g.names().size() == 1).as(g.toString()).isTrue();
        assertThat(g.decays()).isEqualTo(g.offset() < flat.decayed());
        assertThat(g.offset() + g.size() <= flat.decayed() || g.offset() >= flat.decayed())
            .as("a group never straddles the decayed prefix: " + g)
            .isTrue();
      }
      assertThat(flat.groups().stream().mapToLong(FlatParameters.Group::size).sum())
          .isEqualTo(flat.size());
    }
  }

  @Test
  void writingTheBufferWritesTheParameters() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, Parameter> p = new LinkedHashMap<>();
      p.put(
          "w",
          Parameter.builder()
              .setName("w")
              .setType(Parameter.Type.WEIGHT)
              .optShape(new Shape(2, 3))
              .optInitializer((mm, s, t) -> mm.arange(6f).reshape(s))
              .build());
      FlatParameters flat = FlatParameters.attach(m, p, 16);
      p.get("w").initialize(m, DataType.FLOAT32);
      try (Gradients.Mode off = Gradients.disabled()) {
        flat.buffer().muli(2);
      }
      assertThat(p.get("w").getArray().toFloatArray()).containsExactly(0f, 2f, 4f, 6f, 8f, 10f);
      assertThat(p.get("w").getArray().hasGradient()).isTrue();
    }
  }

  /** The grouped AdamW pinned against the per-parameter one: same weights and moments. */
  @Test
  void groupedAdamWMatchesPerParameterAdamW() {
    try (NDManager m = NDManager.newBaseManager();
        Gradients.Mode off = Gradients.disabled()) {
      Model flatModel = model(m, 7, true);
      Map<String, Parameter> flatParams = flatModel.params();
      Map<String, Parameter> plainParams = params(m, 7, false);
      AdamW grouped = new AdamW(flatParams, flatModel.flat(), 0.9, 0.95, 1e-8, 0.1);
      AdamW perParam = new AdamW(plainParams, 0.9, 0.95, 1e-8, 0.1);
      assertThat(grouped.flat().groups()).hasSizeGreaterThan(2);
      for (int step = 0; step < 4; step++) {
        try (NDManager s = m.newSubManager()) {
          Engine.getInstance().setRandomSeed(100 + step);
          Map<String, NDArray> grads = new LinkedHashMap<>();
          for (Map.Entry<String, Shape> e : SHAPES.entrySet()) {
            grads.put(e.getKey(), s.randomNormal(0f, 0.5f, e.getValue(), DataType.FLOAT32));
          }
          List<NDArray> gathered = grouped.flat().gather(grads, s);
          double lr = 0.05 * (step + 1);
          // Clipping over the gathered groups gives the per-parameter global norm.
          double normGrouped = Gradients.globalNorm(gathered);
          double normPlain = Gradients.globalNorm(grads.values());
          assertThat(normGrouped).isCloseTo(normPlain, within(1e-5 * normPlain));
          perParam.update(plainParams, grads, lr);
          grouped.update(gathered, lr);
        }
      }
      for (String name : SHAPES.keySet()) {
        assertThat(flatParams.get(name).getArray().toFloatArray())
            .as(name)
            .containsExactly(plainParams.get(name).getArray().toFloatArray(), within(1e-7f));
      }
      NDList a = grouped.state();
      NDList b = perParam.state();
      assertThat(a.size()).isEqualTo(b.size());
      for (int i = 0; i < a.size(); i++) {
        assertThat(a.get(i).getName()).isEqualTo(b.get(i).getName());
        assertThat(a.get(i).toFloatArray())
            .as(a.get(i).getName())
            .containsExactly(b.get(i).toFloatArray(), within(1e-7f));
      }
      // The parameters did move: a test that cannot fail would compare two untouched models.
      assertThat(flatParams.get("fc.bias").getArray().toFloatArray())
          .isNotEqualTo(params(m, 7, false).get("fc.bias").getArray().toFloatArray());
    }
  }
}
