package dev.sparkllm.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which config keys and values are secrets, and their masked form. The same rules are implemented
 * in deploy/lib/submit-common.sh for its --dry-run print; keep the two in step (README.md,
 * "Secrets", lists them).
 *
 * <p>A key is split into lower-case words at {@code . _ -} and camelCase boundaries. It is secret
 * when a word contains secret, password, passwd, passphrase, credential or bearer; when a word is
 * {api, access, account, encryption, private, secret, signing} followed by the word key or keys (or
 * written as one word, apikey); or when its last word ends in token (hf_token, oauthToken,
 * fs.s3a.session.token), except the tokenizer's special tokens (eos_token, pad_token, ...). Keys
 * that point at a secret are not secret: a word ref (Kubernetes secretKeyRef), or a last word
 * provider(s), file, path, class, type or env (the name of an environment variable holding it).
 */
public final class Secrets {
  public static final String MASK = "*****";

  private static final Pattern CAMEL = Pattern.compile("(?<=[a-z0-9])(?=[A-Z])");
  private static final Pattern SEPARATORS = Pattern.compile("[._\\-\\s]+");
  private static final Pattern SECRET_WORD =
      Pattern.compile(".*(secret|password|passwd|passphrase|credential|bearer).*");
  private static final Pattern KEY_OWNER =
      Pattern.compile("api|access|account|encryption|private|secret|signing");
  private static final Pattern JOINED_KEY =
      Pattern.compile("(api|access|account|encryption|private|secret|signing)keys?");
  // Where a secret is, not the secret: s3a.aws.credentials.provider (a class name),
  // secretKeyRef.ENV (a Kubernetes secret's name), password.file, serve.api_keys_env (a variable's
  // name).
  private static final Pattern POINTER = Pattern.compile("providers?|file|path|class|type|env");
  // Tokenizer vocabulary settings, not credentials: masking them would also hide them from hashes.
  private static final Pattern SPECIAL_TOKEN = Pattern.compile("eos|bos|pad|unk|sep|cls|mask");

  /** {@code name=value} inside a longer value: -Dx.password=v, --token=v, a=b&password=v. */
  private static final Pattern ASSIGNMENT =
      Pattern.compile("(^|[\\s?&;,\"'])(-D|--?)?([A-Za-z][\\w.\\-]*)=([^\\s&;,\"']*)");

  /** The password part of a URL's user info: scheme://user:PASSWORD@host. */
  private static final Pattern URL_PASSWORD =
      Pattern.compile("([A-Za-z][A-Za-z0-9+.\\-]*://[^/\\s:@]*):([^/\\s@]+)@");

  private Secrets() {}

  public static boolean isSecretKey(String key) {
    List<String> words = words(key);
    if (words.isEmpty()
        || words.contains("ref")
        || POINTER.matcher(words.get(words.size() - 1)).matches()) {
      return false;
    }
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (SECRET_WORD.matcher(w).matches() || JOINED_KEY.matcher(w).matches()) {
        return true;
      }
      if ((w.equals("key") || w.equals("keys"))
          && i > 0
          && KEY_OWNER.matcher(words.get(i - 1)).matches()) {
        return true;
      }
    }
    String last = words.get(words.size() - 1);
    boolean special =
        last.equals("token")
            && words.size() > 1
            && SPECIAL_TOKEN.matcher(words.get(words.size() - 2)).matches();
    return last.endsWith("token") && !special;
  }

  private static List<String> words(String key) {
    List<String> out = new ArrayList<>();
    for (String w : SEPARATORS.split(CAMEL.matcher(key).replaceAll("."))) {
      if (!w.isEmpty()) {
        out.add(w.toLowerCase(Locale.ROOT));
      }
    }
    return out;
  }

  /**
   * The value with secrets written inside it masked: the values of secret-named {@code name=value}
   * settings (Java options, query strings) and URL passwords.
   */
  public static String maskInValue(String value) {
    Matcher m = ASSIGNMENT.matcher(value);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String replacement =
          isSecretKey(m.group(3)) && !m.group(4).isEmpty()
              ? m.group(1) + (m.group(2) == null ? "" : m.group(2)) + m.group(3) + "=" + MASK
              : m.group();
      m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(sb);
    return URL_PASSWORD.matcher(sb).replaceAll("$1:" + Matcher.quoteReplacement(MASK) + "@");
  }

  /**
   * Masks a tree in place: every string or number under a secret key (lists and mappings under it
   * included) and secrets inside other strings. Booleans stay: a switch is no credential, and
   * masking one (preprocess.pii.secret_token) would hide a real setting from the config hash.
   */
  public static void mask(JsonNode node) {
    if (node.isObject()) {
      ObjectNode obj = (ObjectNode) node;
      List<String> names = new ArrayList<>();
      obj.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        JsonNode child = obj.get(name);
        obj.set(name, isSecretKey(name) ? maskAll(child) : maskInside(child));
      }
    } else if (node.isArray()) {
      ArrayNode arr = (ArrayNode) node;
      for (int i = 0; i < arr.size(); i++) {
        arr.set(i, maskInside(arr.get(i)));
      }
    }
  }

  private static JsonNode maskInside(JsonNode node) {
    if (node.isTextual()) {
      return TextNode.valueOf(maskInValue(node.asText()));
    }
    mask(node);
    return node;
  }

  private static JsonNode maskAll(JsonNode node) {
    if (node.isContainerNode()) {
      if (node.isObject()) {
        node.fields().forEachRemaining(e -> e.setValue(maskAll(e.getValue())));
      } else {
        ArrayNode arr = (ArrayNode) node;
        for (int i = 0; i < arr.size(); i++) {
          arr.set(i, maskAll(arr.get(i)));
        }
      }
      return node;
    }
    boolean secretValue = node.isNumber() || (node.isTextual() && !node.asText().isEmpty());
    return secretValue ? TextNode.valueOf(MASK) : node;
  }
}
