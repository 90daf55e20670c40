package dev.sparkllm.jobs.bench;

import java.util.ArrayList;
import java.util.List;

/** What tests outside this package may ask of the shaped network: what of it still exists. */
public final class NetNamespacesProbe {
  private NetNamespacesProbe() {}

  /** The {@code sllm-} namespaces and host links that exist now. */
  public static List<String> leftovers() {
    List<String> all = new ArrayList<>(NetNamespaces.namespaces());
    all.addAll(NetNamespaces.hostLinks());
    return all;
  }
}
