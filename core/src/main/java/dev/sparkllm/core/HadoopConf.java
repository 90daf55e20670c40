package dev.sparkllm.core;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The driver's Hadoop settings (S3A endpoint, credentials provider, ...) carried to executors, so
 * tasks open {@code s3a://} inputs exactly as the driver would. Never logged.
 */
public final class HadoopConf implements Serializable {
  private static final long serialVersionUID = 1L;
  private final HashMap<String, String> entries;
  private transient Configuration conf;

  private HadoopConf(HashMap<String, String> entries) {
    this.entries = entries;
  }

  public static HadoopConf of(Configuration conf) {
    HashMap<String, String> m = new HashMap<>();
    for (Map.Entry<String, String> e : conf) {
      m.put(e.getKey(), e.getValue());
    }
    return new HadoopConf(m);
  }

  public synchronized Configuration get() {
    if (conf == null) {
      conf = new Configuration(false);
      entries.forEach(conf::set);
    }
    return conf;
  }
}
