package dev.sparkllm.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.SparkLlmException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** --link, --sync and --transports become link rates and --set entries, or one-line errors. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NetworkArgsTest {
  @Test
  void schemesAreEverySyncWithEveryTransportAsSettings() {
    List<NetworkArgs.Variant> v =
        NetworkArgs.Variant.all(List.of("step", "diloco:20"), List.of("driver", "ring"));
    assertThat(v).hasSize(4);
    assertThat(v.get(3).overrides())
        .containsExactly(
            "training.distributed.sync=diloco",
            "training.distributed.sync_every=20",
            "training.distributed.transport=ring");
    assertThat(v.get(3).label()).isEqualTo("diloco-20.ring");
    assertThat(v.get(0).overrides())
        .containsExactly("training.distributed.sync=step", "training.distributed.transport=driver");
    // Neither option: the config's own scheme, and no settings added.
    assertThat(NetworkArgs.Variant.all(List.of(), List.of()))
        .containsExactly(NetworkArgs.Variant.DEFAULT);
    assertThat(NetworkArgs.Variant.DEFAULT.overrides()).isEmpty();
    assertThatThrownBy(() -> NetworkArgs.Variant.all(List.of("diloco:0"), List.of()))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("--sync takes MODE or MODE:H");
  }

  /** Warm-up and timed window of a scheme that syncs every H steps hold whole rounds only. */
  @Test
  void windowsOfRoundBasedSchemesAreWholeRounds() {
    NetworkArgs.Variant diloco = NetworkArgs.Variant.of("diloco:20", "ring");
    assertThat(diloco.wholeRounds(1)).isEqualTo(20);
    assertThat(diloco.wholeRounds(20)).isEqualTo(20);
    assertThat(diloco.wholeRounds(21)).isEqualTo(40);
    NetworkArgs.Variant step = NetworkArgs.Variant.of("step", "driver");
    assertThat(step.wholeRounds(1)).isEqualTo(1);
    assertThat(NetworkArgs.Variant.DEFAULT.wholeRounds(7)).isEqualTo(7);
  }

  @Test
  void linkRatesParseToTcSettings() {
    Link g = Link.parse("1gbit");
    assertThat(g.bitsPerSecond()).isEqualTo(1_000_000_000L);
    assertThat(g.tcRate()).isEqualTo("1000000000bit");
    assertThat(g.tcBurst()).isEqualTo("262144b");
    // At 10 Gbit/s the bucket holds 2 ms of traffic, more than the 256 KB floor.
    assertThat(Link.parse("10GBIT").tcBurst()).isEqualTo("2500000b");
    assertThat(Link.parse("500mbit").bytesPerSecond()).isEqualTo(62.5e6);
    assertThat(Link.parse("none")).isEqualTo(Link.NONE);
    for (String bad : List.of("1gb", "0gbit", "fast", "")) {
      assertThatThrownBy(() -> Link.parse(bad))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("--link takes rates like 1gbit");
    }
  }
}
