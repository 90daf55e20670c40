package dev.sparkllm.preprocessing.steps.pii;

import static dev.sparkllm.preprocessing.steps.pii.Detector.before;
import static dev.sparkllm.preprocessing.steps.pii.Detector.isDigit;
import static dev.sparkllm.preprocessing.steps.pii.Detector.isWord;
import static dev.sparkllm.preprocessing.steps.pii.Detector.literals;
import static dev.sparkllm.preprocessing.steps.pii.Detector.where;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * (Over 400 lines on purpose: every PII pattern is here so that they are reviewed together for
 * catastrophic backtracking — each is possessive or bounded, and PiiAdversarialTest times them on
 * hostile inputs — and their shared look-around anchors stay consistent.)
 *
 * <p>The candidate patterns and their validators, one static method per PII type. Patterns are
 * compiled once per JVM. Every pattern is anchored on both sides by look-arounds so that it never
 * matches inside a longer token (a dotted number, a longer digit run, a word).
 */
final class PiiDetectors {
  private PiiDetectors() {}

  static final String EMAIL = "EMAIL";
  static final String PHONE = "PHONE";
  static final String IP_ADDRESS = "IP_ADDRESS";
  static final String CREDIT_CARD = "CREDIT_CARD";
  static final String IBAN = "IBAN";
  static final String SECRET = "SECRET";

  // ---- e-mail ---------------------------------------------------------------------------------

  /**
   * {@code local@label.label.tld}: ASCII local part with {@code . _ % + -} (plus-addressing), one
   * or more domain labels and an alphabetic TLD. A domain without a dot ({@code user@localhost}), a
   * bare {@code @mention}, {@code pkg@1.2.3} and retina image names ({@code icon@2x.png}) are kept.
   */
  static List<Detector> email() {
    Pattern p =
        Pattern.compile(
            "(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
                // At most 127 labels (a domain has at most 253 characters): the group loop
                // recurses once per label, and "x@a.a.a...." overflowed the stack unbounded.
                + "((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,127}([A-Za-z]{2,24}))"
                + "(?![A-Za-z0-9-]|\\.[A-Za-z0-9])");
    return List.of(
        new Detector(
            EMAIL,
            (t, s) -> s.at,
            PiiDetectors::emailStart,
            p,
            m -> FILE_EXTENSIONS.contains(m.group(2).toLowerCase(Locale.ROOT)) ? -1 : 0));
  }

  private static boolean isLocal(char c) {
    return isWord(c) || c == '.' || c == '%' || c == '+' || c == '-';
  }

  /** Start of the local part before the next '@' (at most 64 characters back). */
  private static int emailStart(String text, int from) {
    int at = text.indexOf('@', from);
    while (at >= 0) {
      int s = at;
      while (s > 0 && at - s < 64 && isLocal(text.charAt(s - 1))) {
        s--;
      }
      if (s >= from && s < at) {
        return s;
      }
      at = text.indexOf('@', at + 1);
    }
    return -1;
  }

  /** Image and source extensions that are no TLD: {@code logo@2x.png} is a file name. */
  private static final Set<String> FILE_EXTENSIONS =
      Set.of("png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "css", "js");

  // ---- phone numbers --------------------------------------------------------------------------

  /**
   * Three shapes, each requiring separators or a prefix so that plain numbers, years, dates, times,
   * versions, prices and ISBNs stay:
   *
   * <ul>
   *   <li>international: {@code +CC} or {@code 00CC} then digit groups ({@code +44 20 7946 0958},
   *       {@code +1-202-555-0173}, {@code +44 (0)20 7946 0958}, {@code 0044 20 7946 0958}); 7-15
   *       digits after the prefix (E.164). Without separators only {@code +} and 10+ digits count;
   *       {@code 00} needs two separators; groups of exactly three digits below 10 digits are a
   *       thousands-grouped amount ({@code +1 000 000}), not a phone.
   *   <li>North American: {@code (202) 555-0173}, {@code 202-555-0173}, {@code 202.555.0173}, with
   *       area code and exchange starting 2-9 and one separator kind.
   *   <li>national with trunk 0: {@code 020 7946 0958}, {@code 06 12 34 56 78}, {@code 030
   *       12345678}, {@code 06.12.34.56.78}; 9-12 digits, so {@code 01 02 2003} stays.
   * </ul>
   */
  /** Not right after another digit group ("3208 3848 ...", hex dumps, number tables). */
  private static final String NO_GROUP_BEFORE = "(?<!\\d[ .-])";

  /** Not right before another digit group. */
  private static final String NO_GROUP_AFTER = "(?![ .-]?\\d)";

  static List<Detector> phone() {
    Detector.PreCheck enoughDigits = (t, s) -> s.digits >= 7;
    Pattern international =
        Pattern.compile(
            "(?<![\\w+.~])"
                + NO_GROUP_BEFORE
                // Possessive digit runs: a run too long for a phone was otherwise split into
                // every combination of up to six groups at each '+' (120 s on 88 KB of "+1" and
                // 40 digits); a greedy split is the one with fewest groups, so none is lost.
                + "(\\+|00)[1-9]\\d{0,3}+(?:[ .-]?\\(0\\))?"
                + "(?:[ .-]?(?:\\(\\d{1,4}+\\)|\\d{1,6}+)){1,6}"
                + "(?![\\w+])"
                + NO_GROUP_AFTER);
    Pattern northAmerican =
        Pattern.compile(
            "(?<![\\w+(.-])"
                + NO_GROUP_BEFORE
                + "(?:(?:1[ .-]?)?\\([2-9]\\d{2}\\) ?[2-9]\\d{2}[ .-]\\d{4}"
                + "|(?:1([.-]))?[2-9]\\d{2}([.-])[2-9]\\d{2}\\2\\d{4})"
                + "(?!\\w)"
                + NO_GROUP_AFTER);
    Pattern national =
        Pattern.compile(
            "(?<![\\w+.-])"
                + NO_GROUP_BEFORE
                + "(?:(?:\\(0[1-9]\\d{0,3}\\)|0[1-9]\\d{0,3})([ -])\\d{2,8}(?:\\1\\d{2,8}){0,4}"
                + "|0[1-9](?:\\.\\d{2}){4})"
                + "(?!\\w)"
                + NO_GROUP_AFTER);
    return List.of(
        new Detector(
            PHONE,
            enoughDigits,
            where(
                "+0",
                (t, i) -> {
                  char b = before(t, i);
                  return (t.charAt(i) == '+' || (i + 1 < t.length() && t.charAt(i + 1) == '0'))
                      && !isWord(b)
                      && b != '+';
                }),
            international,
            PiiDetectors::internationalPhone),
        new Detector(
            PHONE,
            enoughDigits,
            where(
                "(0123456789",
                (t, i) -> {
                  char b = before(t, i);
                  return !isWord(b) && b != '+' && b != '(' && b != '.' && b != '-';
                }),
            northAmerican,
            m -> 0),
        new Detector(
            PHONE,
            enoughDigits,
            where(
                "(0",
                (t, i) -> {
                  char b = before(t, i);
                  return !isWord(b) && b != '+' && b != '.' && b != '-';
                }),
            national,
            PiiDetectors::nationalPhone));
  }

  private static int nationalPhone(Matcher m) {
    String[] groups = m.group().replaceAll("[()]", "").split("[ .-]");
    int digits = countDigits(m.group());
    // One separator: "02110-1301" is a US ZIP+4 code; real numbers of this shape have 10+ digits.
    if (digits < 9 || digits > 12 || (groups.length == 2 && digits < 10)) {
      return -1;
    }
    // Groups all of two digits are French (0X XX XX XX XX) only when there are exactly five; all of
    // three digits ("041 117 132") are a table of octal or decimal numbers.
    boolean allTwo = true;
    boolean allThree = true;
    for (String g : groups) {
      allTwo &= g.length() == 2;
      allThree &= g.length() == 3;
    }
    if ((allTwo && groups.length != 5) || allThree) {
      return -1;
    }
    // "01 02 03 04 05", "00 00 00 00 00": a counting or byte sequence, not a French number.
    if (groups.length >= 4) {
      int step = Integer.parseInt(groups[1]) - Integer.parseInt(groups[0]);
      boolean progression = step == 0 || step == 1;
      for (int i = 2; i < groups.length && progression; i++) {
        progression = Integer.parseInt(groups[i]) - Integer.parseInt(groups[i - 1]) == step;
      }
      if (progression) {
        return -1;
      }
    }
    return 0;
  }

  private static int internationalPhone(Matcher m) {
    String s = m.group();
    boolean plus = m.group(1).equals("+");
    String body = s.substring(plus ? 1 : 2).replace("(0)", "");
    int digits = countDigits(body);
    if (digits < 7 || digits > 15) {
      return -1;
    }
    String[] groups = body.split("[ .()-]+");
    int separators = groups.length - 1;
    if (separators == 0) {
      return plus && digits >= 10 ? 0 : -1;
    }
    if (separators == 1 && body.indexOf('.') >= 0) {
      return -1; // +3.140000, +35236450.6: a signed decimal
    }
    if (!plus && separators < 2) {
      return -1;
    }
    if (digits < 10 && groups.length >= 2) {
      boolean thousands = groups[0].length() <= 3;
      for (int i = 1; i < groups.length && thousands; i++) {
        thousands = groups[i].length() == 3;
      }
      if (thousands) {
        return -1;
      }
    }
    return 0;
  }

  // ---- IP addresses ---------------------------------------------------------------------------

  /**
   * IPv4 dotted quads with octets 0-255 and no leading zeros, not inside a longer dotted number
   * ({@code 1.2.3.4.5}) or a token ({@code v1.2.3.4}), and IPv6 in every textual form (full,
   * compressed {@code ::}, with an embedded IPv4), validated by {@link InetAddress} on strings that
   * can only be IPv6 literals, so no name lookup ever happens.
   *
   * <p>Only addresses that can identify someone are redacted: loopback, unspecified, private (RFC
   * 1918, IPv6 ULA), link-local, multicast, documentation (RFC 5737, 2001:db8::/32) and
   * reserved/netmask ({@code 240+}) addresses are kept, as the BigCode PII pipeline does; they are
   * ubiquitous in code and docs ({@code 127.0.0.1}, {@code 192.168.0.1}, {@code 255.255.255.0}).
   *
   * <p>Dotted quads that are valid addresses but read as versions are kept too: two single-digit
   * octets after the first ({@code 11.3.3.2}, {@code 12.8.5.14}: section numbers; under 1% of
   * random addresses look like this), a single-digit first octet ({@code 1.2.3.4}, {@code
   * 3.6.11.1}, {@code 8.8.8.8}; an audit of 205 MB of Debian changelogs and docs found these were
   * all versions, package revisions or well-known resolvers, at the price of missing real hosts in
   * 1.0.0.0/8-9.0.0.0/8), a quad followed by '-' ({@code 2.10.0.9-2}, {@code 12.4.254.14-node.11})
   * and one after "version", "release", "section" ...
   */
  /** "version 10.2.3.4", "Section 19.1.2.20": a version or section number. */
  private static final String VERSION_BEFORE =
      "(?<!\\b(?i:version|release|revision|build|firmware|kernel|section|§)[ .:]{1,3})";

  static List<Detector> ipAddress() {
    String octet = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    Pattern v4 =
        Pattern.compile(
            "(?<![\\w.])"
                + VERSION_BEFORE
                + octet
                + "\\."
                + octet
                + "\\."
                + octet
                + "\\."
                + octet
                + "(?![\\w-]|\\.\\d)");
    Pattern v6 =
        Pattern.compile(
            "(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
                + "(?:(?:\\d{1,3}\\.){3}\\d{1,3}|[0-9A-Fa-f]{1,4})?"
                + "(?![\\w:]|\\.\\d)");
    return List.of(
        new Detector(
            IP_ADDRESS,
            (t, s) -> s.colons >= 2 && s.digits >= 1,
            Detector.before(
                ':',
                "0123456789abcdefABCDEF",
                4,
                (t, i) -> {
                  char b = before(t, i);
                  return !isWord(b) && b != ':' && b != '.';
                }),
            v6,
            PiiDetectors::ipv6),
        new Detector(
            IP_ADDRESS,
            (t, s) -> s.digits >= 4,
            Detector.before(
                '.',
                "0123456789",
                3,
                (t, i) -> {
                  char b = before(t, i);
                  return isDigit(t.charAt(i)) && !isWord(b) && b != '.';
                }),
            v4,
            PiiDetectors::ipv4));
  }

  private static int ipv4(Matcher m) {
    int singleDigitTail = 0;
    for (int i = 2; i <= 4; i++) {
      singleDigitTail += m.group(i).length() == 1 ? 1 : 0;
    }
    if (m.group(1).length() == 1 || singleDigitTail >= 2) {
      return -1;
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      b[i] = (byte) Integer.parseInt(m.group(i + 1));
    }
    try {
      return identifies(InetAddress.getByAddress(b)) ? 0 : -1;
    } catch (UnknownHostException e) {
      return -1; // only thrown for a wrong length
    }
  }

  private static int ipv6(Matcher m) {
    String s = m.group();
    int hexGroups = 0;
    int longest = 0;
    for (String g : s.split(":")) {
      if (!g.isEmpty() && !g.contains(".")) {
        hexGroups++;
        longest = Math.max(longest, g.length());
      }
    }
    boolean embeddedV4 = s.indexOf('.') >= 0;
    // "0:1:2:3:4:5:6:7" is a list; real addresses have a group of 3+ hex digits (2001, fe80, ffff).
    if (longest < 3 && !embeddedV4) {
      return -1;
    }
    // "1::2" is Python slicing and "Bad::Face" a C++ scope as often as an address: require three
    // groups (or an IPv4 tail) and a decimal digit.
    if ((hexGroups < 3 && !embeddedV4) || countDigits(s) == 0) {
      return -1;
    }
    // Without "::" an address spells out all 8 groups (6 before an IPv4 tail): this drops times
    // (12:30:45) and MAC addresses before the parser sees them.
    if (!s.contains("::") && hexGroups != (embeddedV4 ? 6 : 8)) {
      return -1;
    }
    // The candidate starts with a hex digit or ':' and contains ':', so InetAddress parses it as
    // an IPv6 literal and throws on a bad one; it never falls back to a DNS lookup.
    InetAddress a;
    try {
      a = InetAddress.getByName(s);
    } catch (UnknownHostException e) {
      return -1;
    }
    return identifies(a) ? 0 : -1;
  }

  private static boolean identifies(InetAddress a) {
    if (a.isLoopbackAddress()
        || a.isAnyLocalAddress()
        || a.isLinkLocalAddress()
        || a.isSiteLocalAddress()
        || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int prefix24 = (first << 16) | ((b[1] & 0xff) << 8) | (b[2] & 0xff);
      // RFC 5737 documentation networks 192.0.2/24, 198.51.100/24, 203.0.113/24.
      boolean documentation = prefix24 == 0xC00002 || prefix24 == 0xC63364 || prefix24 == 0xCB0071;
      return first != 0 && first < 240 && !documentation;
    }
    if (a instanceof Inet6Address) {
      boolean uniqueLocal = (b[0] & 0xfe) == 0xfc; // fc00::/7
      boolean documentation = b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == (byte) 0xb8;
      return !uniqueLocal && !documentation;
    }
    return true;
  }

  // ---- payment cards --------------------------------------------------------------------------

  /**
   * 13-19 digits, plain (13-16: longer solid runs are mostly ids and nonces) or grouped 4-4-4-4(-3)
   * / Amex 4-6-5 / Diners 4-6-4 by spaces or dashes, passing the Luhn check, with a known issuer
   * prefix and a length that issuer uses: Visa 4 (13/16/19), Mastercard 51-55 and 2221-2720 (16),
   * Amex 34/37 (15), Discover 6011/644-649/65 (16-19), JCB 3528-3589 (16-19), Diners
   * 300-305/36/38/39 (14-19), UnionPay 62 (16-19). Maestro (50, 56-69, 12-19 digits) is left out:
   * its prefixes and lengths cover too many ordinary numbers.
   */
  static List<Detector> creditCard() {
    Pattern p =
        Pattern.compile(
            "(?<![\\w-])"
                + NO_GROUP_BEFORE
                + "(?:\\d{13,16}"
                + "|\\d{4}([ -])\\d{4}\\1\\d{4}\\1\\d{1,4}(?:\\1\\d{1,3})?"
                + "|\\d{4}([ -])\\d{6}\\2\\d{4,5})"
                + "(?!\\w)"
                + NO_GROUP_AFTER);
    return List.of(
        new Detector(
            CREDIT_CARD,
            (t, s) -> s.digits >= 13,
            where(
                "0123456789",
                (t, i) -> {
                  char b = before(t, i);
                  return !isWord(b) && b != '-';
                }),
            p,
            m -> {
              String digits = m.group().replaceAll("[ -]", "");
              return knownIssuer(digits) && luhn(digits) ? 0 : -1;
            }));
  }

  static boolean knownIssuer(String d) {
    int n = d.length();
    int p2 = Integer.parseInt(d.substring(0, 2));
    int p3 = Integer.parseInt(d.substring(0, 3));
    int p4 = Integer.parseInt(d.substring(0, 4));
    if (d.charAt(0) == '4') {
      return n == 13 || n == 16 || n == 19;
    }
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) {
      return n == 16;
    }
    if (p2 == 34 || p2 == 37) {
      return n == 15;
    }
    if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p4 >= 3528 && p4 <= 3589)) {
      return n >= 16;
    }
    if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) {
      return n >= 14;
    }
    if (p2 == 62) {
      return n >= 16;
    }
    return false;
  }

  static boolean luhn(String digits) {
    int sum = 0;
    boolean twice = false;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (twice) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      twice = !twice;
    }
    return sum % 10 == 0;
  }

  // ---- IBAN -----------------------------------------------------------------------------------

  /** IBAN lengths of the SEPA countries and other common ones (ECBS/SWIFT registry). */
  static final Map<String, Integer> IBAN_LENGTHS =
      Map.ofEntries(
          Map.entry("AD", 24),
          Map.entry("AE", 23),
          Map.entry("AT", 20),
          Map.entry("AZ", 28),
          Map.entry("BA", 20),
          Map.entry("BE", 16),
          Map.entry("BG", 22),
          Map.entry("BH", 22),
          Map.entry("BR", 29),
          Map.entry("CH", 21),
          Map.entry("CR", 22),
          Map.entry("CY", 28),
          Map.entry("CZ", 24),
          Map.entry("DE", 22),
          Map.entry("DK", 18),
          Map.entry("DO", 28),
          Map.entry("EE", 20),
          Map.entry("EG", 29),
          Map.entry("ES", 24),
          Map.entry("FI", 18),
          Map.entry("FO", 18),
          Map.entry("FR", 27),
          Map.entry("GB", 22),
          Map.entry("GE", 22),
          Map.entry("GI", 23),
          Map.entry("GL", 18),
          Map.entry("GR", 27),
          Map.entry("GT", 28),
          Map.entry("HR", 21),
          Map.entry("HU", 28),
          Map.entry("IE", 22),
          Map.entry("IL", 23),
          Map.entry("IS", 26),
          Map.entry("IT", 27),
          Map.entry("JO", 30),
          Map.entry("KW", 30),
          Map.entry("KZ", 20),
          Map.entry("LB", 28),
          Map.entry("LI", 21),
          Map.entry("LT", 20),
          Map.entry("LU", 20),
          Map.entry("LV", 21),
          Map.entry("MC", 27),
          Map.entry("MD", 24),
          Map.entry("ME", 22),
          Map.entry("MK", 19),
          Map.entry("MR", 27),
          Map.entry("MT", 31),
          Map.entry("MU", 30),
          Map.entry("NL", 18),
          Map.entry("NO", 15),
          Map.entry("PK", 24),
          Map.entry("PL", 28),
          Map.entry("PS", 29),
          Map.entry("PT", 25),
          Map.entry("QA", 29),
          Map.entry("RO", 24),
          Map.entry("RS", 22),
          Map.entry("SA", 24),
          Map.entry("SE", 24),
          Map.entry("SI", 19),
          Map.entry("SK", 24),
          Map.entry("SM", 27),
          Map.entry("TN", 24),
          Map.entry("TR", 26),
          Map.entry("UA", 29),
          Map.entry("VG", 24),
          Map.entry("XK", 20));

  /**
   * Country code, two check digits and the BBAN, written solid or in groups of four separated by
   * single spaces; the length must be the country's and the ISO 7064 mod-97 checksum must be 1.
   * Countries not in {@link #IBAN_LENGTHS} are kept.
   */
  static List<Detector> iban() {
    Pattern p =
        Pattern.compile(
            "(?<![A-Za-z0-9])[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?"
                + "(?![A-Za-z0-9])");
    return List.of(
        new Detector(
            IBAN,
            (t, s) -> s.digits >= 6,
            where(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                (t, i) ->
                    i + 3 < t.length()
                        && isUpper(t.charAt(i + 1))
                        && isDigit(t.charAt(i + 2))
                        && isDigit(t.charAt(i + 3))
                        && !isWord(before(t, i))),
            p,
            m -> validIban(m.group()) ? 0 : -1));
  }

  private static boolean isUpper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  static boolean validIban(String candidate) {
    String iban = candidate.replace(" ", "");
    Integer len = IBAN_LENGTHS.get(iban.substring(0, 2));
    if (len == null || iban.length() != len) {
      return false;
    }
    String rearranged = iban.substring(4) + iban.substring(0, 4);
    int mod = 0;
    for (int i = 0; i < rearranged.length(); i++) {
      char c = rearranged.charAt(i);
      if (c >= '0' && c <= '9') {
        mod = (mod * 10 + (c - '0')) % 97;
      } else {
        mod = (mod * 100 + (c - 'A' + 10)) % 97;
      }
    }
    return mod == 1;
  }

  // ---- secrets --------------------------------------------------------------------------------

  /** Bits per character a generic {@code key=value} value needs to count as a secret. */
  static final double MIN_SECRET_ENTROPY = 3.0;

  static final int MIN_SECRET_LENGTH = 16;

  /**
   * Credentials with a recognisable shape, replaced whole: PEM private-key blocks (a block cut
   * before its END line is redacted to the end of its base64 body), AWS access key ids (AKIA/ASIA),
   * GitHub (ghp_/gho_/ghs_/ghu_/ghr_/github_pat_), Slack (xox[abprs]-), Stripe live keys
   * (sk_/pk_/rk_live_), Google API keys (AIza + 35), JWTs (two base64url JSON segments) and bearer
   * tokens. Then values only: the 40-character secret after {@code aws_secret_access_key} and
   * generic {@code api_key=}, {@code token:}, {@code password=}, {@code secret=} ... assignments
   * whose value is at least {@value #MIN_SECRET_LENGTH} characters with letters and digits and at
   * least {@value #MIN_SECRET_ENTROPY} bits of Shannon entropy per character, so placeholders
   * ({@code YOUR_API_KEY_HERE}), references ({@code process.env.API_KEY}, {@code ${TOKEN}}) and
   * words stay.
   */
  static List<Detector> secret() {
    return List.of(
        whole(
            (t, s) -> t.contains("PRIVATE KEY"),
            literals("-----BEGIN "),
            // The body runs to the first "-----" (an END line, or the next BEGIN): a lazy scan for
            // the END line instead crossed every later BEGIN, quadratic in unmatched BEGIN markers.
            "-----BEGIN ([A-Z0-9 ]{0,20}?)PRIVATE KEY( BLOCK|)-----[^-]*+(?:-(?!----)[^-]*+)*+"
                + "-----END \\1PRIVATE KEY\\2-----"),
        whole(
            (t, s) -> t.contains("PRIVATE KEY"),
            literals("-----BEGIN "),
            "-----BEGIN [A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?-----"
                // Possessive: a greedy group loop recurses once per line and overflowed the stack
                // on a cut block of ~100k lines; nothing follows it, so the match is the same.
                + "(?:\\r?\\n(?:[A-Za-z-]+: [^\\r\\n]*+|[A-Za-z0-9+/=]{1,100}+)?(?=\\r?\\n|$))*+"),
        whole(
            (t, s) -> true,
            literals("AKIA", "ASIA"),
            "(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        whole(
            (t, s) -> true,
            literals("ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"),
            "(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})"
                + "(?![A-Za-z0-9_])"),
        whole(
            (t, s) -> t.contains("xox"),
            literals("xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"),
            "(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}(?![A-Za-z0-9-])"),
        whole(
            (t, s) -> t.contains("_live_"),
            literals("sk_live_", "pk_live_", "rk_live_"),
            "(?<![A-Za-z0-9])[spr]k_live_[A-Za-z0-9]{16,}(?![A-Za-z0-9])"),
        whole(
            (t, s) -> true,
            literals("AIza"),
            "(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
        whole(
            (t, s) -> true,
            literals("eyJ"),
            "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*"),
        new Detector(
            SECRET,
            (t, s) -> s.assignment,
            PiiDetectors::assignmentStart,
            Pattern.compile(
                "(?i)aws_?secret_?access_?key[\"']?\\s*[:=]\\s*[\"']?([A-Za-z0-9/+=]{40})"
                    + "(?![A-Za-z0-9/+=])"),
            m -> 1),
        new Detector(
            SECRET,
            (t, s) -> s.assignment,
            PiiDetectors::assignmentStart,
            Pattern.compile(
                "(?i)(?<![A-Za-z0-9])(?:api[_-]?key|apikey|access[_-]?key|secret(?:[_-]?key)?"
                    + "|client[_-]?secret|(?:access|auth|api|refresh|bearer)?[_-]?token"
                    + "|password|passwd|pwd)"
                    + "[\"']?\\s*(?::=|=>|[:=])\\s*[\"']?"
                    // A value never ends with '.' (the end of a sentence) and has no '%'
                    // (URL-encoded
                    // text such as pkcs11:token=Root%20CA%20Certificates).
                    + "([A-Za-z0-9+/=_.~!@#$^*-]{15,255}[A-Za-z0-9+/=_~!@#$^*-])"),
            m -> highEntropy(m.group(1)) ? 1 : -1),
        new Detector(
            SECRET,
            (t, s) -> true,
            literals("Bearer", "bearer"),
            Pattern.compile("(?<![A-Za-z0-9])[Bb]earer\\s+([A-Za-z0-9._~+/-]{16,}=*)"),
            m -> highEntropy(m.group(1)) ? 1 : -1));
  }

  private static Detector whole(Detector.PreCheck check, Detector.Starts starts, String regex) {
    return new Detector(SECRET, check, starts, Pattern.compile(regex), m -> 0);
  }

  /**
   * Starts of the name parts ({@code DB_PASSWORD}: "DB", "PASSWORD") of an identifier that is
   * followed, after optional blanks and a quote, by ':' or '='.
   */
  private static int assignmentStart(String text, int from) {
    for (int p = from, n = text.length(); p < n; p++) {
      char c = text.charAt(p);
      if (c != ':' && c != '=') {
        continue;
      }
      int end = p;
      while (end > from && (text.charAt(end - 1) == ' ' || text.charAt(end - 1) == '\t')) {
        end--;
      }
      if (end > from && (text.charAt(end - 1) == '"' || text.charAt(end - 1) == '\'')) {
        end--;
      }
      int start = end;
      while (start > 0
          && end - start < 64
          && (isWord(text.charAt(start - 1)) || text.charAt(start - 1) == '-')) {
        start--;
      }
      for (int s = Math.max(start, from); s < end; s++) {
        char b = before(text, s);
        if (s == start || b == '_' || b == '-') {
          return s;
        }
      }
    }
    return -1;
  }

  /** {@code process.env.API_KEY}, {@code settings.SECRET_KEY_2}: a reference, not a value. */
  private static final Pattern DOTTED_IDENTIFIER =
      Pattern.compile("[A-Za-z_$][\\w$]*(?:\\.[A-Za-z_$][\\w$]*)+");

  static boolean highEntropy(String value) {
    if (value.length() < MIN_SECRET_LENGTH
        || value.charAt(0) == '$'
        || DOTTED_IDENTIFIER.matcher(value).matches()) {
      return false;
    }
    boolean letter = false;
    boolean digit = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      letter |= Character.isLetter(c);
      digit |= c >= '0' && c <= '9';
    }
    return letter && digit && shannonEntropy(value) >= MIN_SECRET_ENTROPY;
  }

  /** Shannon entropy of the character distribution, in bits per character. */
  static double shannonEntropy(String s) {
    Map<Character, Integer> counts = new HashMap<>();
    for (int i = 0; i < s.length(); i++) {
      counts.merge(s.charAt(i), 1, Integer::sum);
    }
    double h = 0;
    for (int c : counts.values()) {
      double p = (double) c / s.length();
      h -= p * Math.log(p);
    }
    return h / Math.log(2);
  }

  static int countDigits(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        n++;
      }
    }
    return n;
  }
}
