package dev.sparkllm.jobs.bench;

import dev.sparkllm.core.SparkLlmException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of {@code benchmark distributed} for shaped links and synchronization schemes (a
 * picocli mixin next to {@link DistributedArgs}).
 */
public final class NetworkArgs {
  private static final String D = "distributed: ";

  @Option(
      names = "--link",
      split = ",",
      description =
          D
              + "run the replicas in Spark standalone workers behind real shaped links (network"
              + " namespaces, veth pairs, tbf; needs root and iproute2), once per rate: e.g."
              + " 1gbit,10gbit,none. Default: no shaping, --master decides.")
  List<String> links = new ArrayList<>();

  @Option(
      names = "--sync",
      split = ",",
      description =
          D
              + "synchronization schemes to compare, passed as training.distributed.sync (and"
              + " sync_every after a colon): e.g. step,diloco:20,local_sgd:20. Default: the"
              + " config's.")
  List<String> syncs = new ArrayList<>();

  @Option(
      names = "--transports",
      split = ",",
      description =
          D
              + "gradient transports to compare, passed as training.distributed.transport: e.g."
              + " driver,ring. Default: the config's.")
  List<String> transports = new ArrayList<>();

  @Option(
      names = "--worker-memory",
      defaultValue = "3072",
      description =
          D
              + "with --link: MB each standalone worker offers its executor (default"
              + " ${DEFAULT-VALUE}; the executor takes spark.executor.memory, 1g unless --conf"
              + " sets it).")
  int workerMemoryMb;

  public NetworkOptions toOptions() {
    List<Link> parsed = links.stream().map(Link::parse).toList();
    if (workerMemoryMb < 512) {
      throw new SparkLlmException("--worker-memory must be >= 512 (MB), got " + workerMemoryMb);
    }
    return new NetworkOptions(parsed, Variant.all(syncs, transports), workerMemoryMb);
  }

  /** The checked options. */
  public record NetworkOptions(List<Link> links, List<Variant> variants, int workerMemoryMb) {
    public NetworkOptions {
      links = List.copyOf(links);
      variants = List.copyOf(variants);
    }

    public boolean shaped() {
      return !links.isEmpty();
    }

    /** No shaping and the config's own scheme: the benchmark as before these options. */
    public static NetworkOptions none() {
      return new NetworkOptions(List.of(), List.of(Variant.DEFAULT), 3072);
    }
  }

  /**
   * One synchronization scheme and transport as settings; null fields leave the config's value. The
   * trainer validates the values, so a scheme it does not know fails that run with its own message.
   */
  public record Variant(String sync, Integer syncEvery, String transport) {
    static final Variant DEFAULT = new Variant(null, null, null);

    static List<Variant> all(List<String> syncs, List<String> transports) {
      List<String> ss = syncs.isEmpty() ? java.util.Collections.singletonList(null) : syncs;
      List<String> ts =
          transports.isEmpty() ? java.util.Collections.singletonList(null) : transports;
      List<Variant> out = new ArrayList<>();
      for (String s : ss) {
        for (String t : ts) {
          out.add(of(s, t));
        }
      }
      return out;
    }

    static Variant of(String sync, String transport) {
      if (sync == null) {
        return new Variant(null, null, blankToNull(transport));
      }
      String[] p = sync.trim().split(":", 2);
      Integer every = null;
      if (p.length == 2) {
        try {
          every = Integer.parseInt(p[1].trim());
        } catch (NumberFormatException e) {
          every = -1;
        }
        if (every < 1) {
          throw new SparkLlmException(
              "--sync takes MODE or MODE:H with H >= 1 (e.g. diloco:20), got '" + sync + "'");
        }
      }
      return new Variant(blankToNull(p[0]), every, blankToNull(transport));
    }

    private static String blankToNull(String s) {
      return s == null || s.isBlank() ? null : s.trim();
    }

    /**
     * {@code steps} rounded up to whole rounds of H steps. A run that synchronizes every H steps
     * exchanges on the steps that are multiples of H and on its last step; a warm-up or timed
     * window that ends inside a round would count one exchange too many or too few (a window of 20
     * steps after one warm-up step at H = 20 held two exchanges, as if H were 10).
     */
    int wholeRounds(int steps) {
      int h = syncEvery == null ? 1 : syncEvery;
      return (steps + h - 1) / h * h;
    }

    /** The --set entries this variant adds. */
    List<String> overrides() {
      List<String> o = new ArrayList<>();
      if (sync != null) {
        o.add("training.distributed.sync=" + sync);
      }
      if (syncEvery != null) {
        o.add("training.distributed.sync_every=" + syncEvery);
      }
      if (transport != null) {
        o.add("training.distributed.transport=" + transport);
      }
      return o;
    }

    /** A name for file names and tables: "diloco-20.ring", or "default". */
    String label() {
      String s = sync == null ? "" : sync + (syncEvery == null ? "" : "-" + syncEvery);
      String t = transport == null ? "" : transport;
      String l = s.isEmpty() || t.isEmpty() ? s + t : s + "." + t;
      return l.isEmpty() ? "default" : l;
    }
  }
}
