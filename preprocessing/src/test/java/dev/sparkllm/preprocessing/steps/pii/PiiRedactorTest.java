package dev.sparkllm.preprocessing.steps.pii;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.Document;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PiiRedactorTest {
  static final PiiRedactor ALL = redactor();

  static PiiRedactor redactor(String... overrides) {
    return new PiiRedactor(Config.load(null, List.of(overrides)).section("preprocess.pii"));
  }

  /** Each positive alone and inside a sentence becomes the placeholder, counted once. */
  static void assertRedacted(String type, String... positives) {
    for (String p : positives) {
      Document d = new Document("id", "t", "Contact: " + p + ", thanks.");
      assertThat(ALL.apply(d)).isNull();
      assertThat(d.text).as(p).isEqualTo("Contact: <" + type + ">, thanks.");
      assertThat(d.redactions).as(p).isEqualTo(Map.of(type, 1));
      assertThat(ALL.redact(p)).as(p).isEqualTo("<" + type + ">");
    }
  }

  static void assertKept(String... texts) {
    for (String t : texts) {
      Document d = new Document("id", "t", t);
      assertThat(ALL.apply(d)).isNull();
      assertThat(d.text).as(t).isEqualTo(t);
      assertThat(d.redactions).as(t).isEmpty();
    }
  }

  @Test
  void ordinaryTextIsUnchanged() {
    assertKept(
        "The meeting is on 2023-01-15 at 10:30, or 15/01/2023 at 09:00-17:00 (Mon-Fri 9-5).",
        "Submitted 01.02.2003, revised 2003.02.01, build 20230115.1, dated 01 02 2003.",
        "Released in 1999; versions 1.2.3, v2.10.4, 1.2.3.4.5 and 10.0.19041.1 followed.",
        "Pi is about 3.14159265358979, e is 2.718281828 and 0.123456789 is small.",
        "The price is $1,299.99 or 1.299,00 EUR (about 1 299 EUR), total 1,234,567,890.",
        "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2 are both cited.",
        "Call 911 or 112 in an emergency; dial 0 for the operator, room 0123.",
        "He finished 1st, 2nd and 3rd in 2019, 2020 and 2021.",
        "Population: 8 336 817 (2019 estimate), over +1 000 000 since 1990.",
        "The UUID 550e8400-e29b-41d4-a716-446655440000 identifies the row.",
        "Fixed in commit 3f786850e387550fdab836ed7e6dc881de23001b (short a1b2c3d).",
        "Ping @mention or user@localhost, see example.com, install lodash@4.17.21, logo@2x.png.",
        "Bind 127.0.0.1, 192.168.0.1, 10.0.0.1 or 0.0.0.0 with netmask 255.255.255.0.",
        "Resolvers 8.8.8.8 and 1.1.1.1; the example 1.2.3.4 is a version-like quad.",
        "Times 12:30:45, ratio 16:9:4, std::vector<int> v; a[::2] and b[1::3]; Bad::Face.",
        "MAC 00:1A:2B:3C:4D:5E; loopback ::1 and link-local fe80::1ff:fe23:4567:890a.",
        "Order #123456789 shipped; tracking 1Z999AA10123456784; 1234567890123456 points.",
        "Coordinates 48.8566, 2.3522 and altitude 35 m; 1920x1080 at 60 Hz; RFC 2616.",
        "Not phones: 555-0173, 123-456-7890, 2023-555-0173, 1234567890 and 06 12.",
        "Set api_key=YOUR_API_KEY_HERE and password: process.env.DB_PASSWORD_2024.",
        "token = ${GITHUB_TOKEN}; secret=$SECRET_VALUE_2024; pwd: aaaa1111bbbb2222.",
        "tokenizer = AutoTokenizer.from_pretrained('gpt2'); max_tokens: 4096.",
        "Test keys like sk_test_4eC39HqLyjWDarjtT1zdp7dc are public by design.",
        "-----BEGIN PUBLIC KEY----- and -----BEGIN CERTIFICATE----- are not secret.",
        "org.apache.spark:spark-core_2.13:4.1.1 and java.lang.String",
        "");
  }

  @Test
  void emails() {
    assertRedacted(
        "EMAIL",
        "john.doe@example.com",
        "jane+newsletter@mail.example.co.uk",
        "first_last-99@sub.domain.org",
        "UPPER.CASE@EXAMPLE.COM",
        "x@b.io");
    assertThat(ALL.redact("Write to a.b@c.de. Or to 'd@e.fr'!"))
        .isEqualTo("Write to <EMAIL>. Or to '<EMAIL>'!");
    assertThat(ALL.redact("mailto:info@example.com?subject=Hi"))
        .isEqualTo("mailto:<EMAIL>?subject=Hi");
    assertKept(
        "@mention",
        "user@localhost",
        "foo@bar",
        "a@b.c",
        "lodash@4.17.21",
        "icon@2x.png",
        "@x.com");
  }

  @Test
  void phoneNumbers() {
    assertRedacted(
        "PHONE",
        "+44 20 7946 0958",
        "+1-202-555-0173",
        "+1 (202) 555-0173",
        "+44 (0)20 7946 0958",
        "0044 20 7946 0958",
        "+33 6 12 34 56 78",
        "+49 30 12345678",
        "+491701234567",
        "(202) 555-0173",
        "202-555-0173",
        "202.555.0173",
        "1-800-555-0199",
        "020 7946 0958",
        "(020) 7946 0958",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "030 12345678",
        "0171-1234567");
    assertKept(
        "call 911",
        "2023-01-15",
        "15/01/2023",
        "01.02.2003",
        "01 02 2003",
        "12:30:45",
        "v2.10.4",
        "$1,299.99",
        "ISBN 978-3-16-148410-0",
        "+1 000 000",
        "+12345",
        "+1234567890123456",
        "123-456-7890",
        "202-555.0173",
        "0012 3456",
        "2023 01 15",
        "51 Franklin Street, Fifth Floor, Boston, MA 02110-1301, USA",
        "// Prints: <Buffer 01 02 03 04 05>",
        "| 00010  ff ff ff ff 20 00 00 00  10 00 05 00 00 00 00 00  ....",
        "/Rect [ 333.498 545.007 370.738 554.007 ] /FontMatrix [0.001 0 0 0.001 0 0 ]",
        "+44 20 7946 0958 1234 (a longer run of digit groups)",
        "contents: <Buffer a0 8b 28 3f 01 00 00 00 50 32>",
        "A   W   E      041 117 132      133 112 255",
        "llvm-toolchain-snapshot (1:10~+20191229111838+6991d5728f1-1~exp1) experimental",
        "'+3.140000; -3.140000' and Decimal('+35236450.6')");
  }

  @Test
  void ipAddresses() {
    assertRedacted(
        "IP_ADDRESS",
        "84.17.43.122",
        "151.101.65.140",
        "2606:4700:4700::1111",
        "2a02:0598:85a3:0000:0000:8a2e:0370:7334",
        "2a00:1450:4001:81c::200e",
        "::ffff:84.17.43.122",
        "64:ff9b::84.17.43.122");
    assertThat(ALL.redact("GET http://84.17.43.122:8080/ and [2a00:1450:4001:81c::200e]:443"))
        .isEqualTo("GET http://<IP_ADDRESS>:8080/ and [<IP_ADDRESS>]:443");
    assertThat(ALL.redact("Send message from 194.177.211.215 -> group 225.4.5.6"))
        .isEqualTo("Send message from <IP_ADDRESS> -> group 225.4.5.6");
    assertKept(
        "256.1.1.1",
        "84.17.43.256",
        "1.2.3.4.5",
        "v84.17.43.122",
        "84.17.43.122.7",
        "01.02.03.04",
        "1.2.3.4",
        "127.0.0.1",
        "172.16.5.4",
        "169.254.10.1",
        "239.255.255.250",
        "255.255.255.0",
        "::1",
        "fe80::1ff:fe23:4567:890a",
        "fd12:3456:789a::1",
        "2001:db8:1",
        "1:2:3:4:5:6:7",
        "12345::1:2",
        "2a00:1450::g1",
        "documentation examples 192.0.2.45, 198.51.100.23, 203.0.113.75 and 2001:db8::1",
        "dpkg (1.16.4.3) unstable; urgency=low",
        "binutils (2.10.0.9-2) unstable",
        "v8: '12.4.254.14-node.11'",
        "see Section 19.1.2.20 of ECMA-262",
        "XFree86 4.3.99.16 and firmware 17.13.21.0",
        "release: 10.12.4.1",
        "(11.3.3.2 and 11.3.3.5 of the ISO PNG specification)",
        "they violate Debian Policy 12.8.5.14",
        "0:1:2:3:4:5:6:7 and 2:4:6:8:10:12:14:16");
  }

  @Test
  void creditCards() {
    assertRedacted(
        "CREDIT_CARD",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4012888888881881",
        "4222222222222",
        "5555 5555 5555 4444",
        "2223 0031 2200 3222",
        "3782 822463 10005",
        "371449635398431",
        "6011 1111 1111 1117",
        "3530 1113 3330 0000",
        "30569309025904",
        "6200000000000005");
    assertKept(
        "4111 1111 1111 1112",
        "4111111111111112",
        "1234 5678 9012 3452",
        "7111 1111 1111 1114",
        "411111111111111",
        "4111 1111-1111 1111",
        "24111111111111111",
        "5555 5555 5555 4444 1",
        "896 648 1288 1928 2568 3208 3848 4488 5128 5768 6408 7048",
        "reqNonce: 3843061514398340071 certReq: true");
  }

  @Test
  void ibans() {
    assertRedacted(
        "IBAN",
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
        "ES91 2100 0418 4502 0005 1332",
        "CH93 0076 2011 6238 5295 7",
        "BE68 5390 0754 7034",
        "NO93 8601 1117 947",
        "IT60 X054 2811 1010 0000 0123 456");
    assertKept(
        "DE89370400440532013001",
        "DE88370400440532013000",
        "GB82 WEST 1234 5698 7654 33",
        "GB82 WEST 1234 5698 7654",
        "XX82 WEST 1234 5698 7654 32",
        "de89370400440532013000");
  }

  @Test
  void tokensWithAKnownShapeAreReplacedWhole() {
    assertRedacted(
        "SECRET",
        "AKIAIOSFODNN7EXAMPLE",
        "ASIAY34FZKBOKMUTVV7A",
        "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",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV",
        "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "pk_live_51H8abcdEFGHijklMNOP",
        "rk_live_51H8abcdEFGHijklMNOP",
        "AIzaSyA-1234567890abcdefghijklmnopqrstu",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0"
            + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
    assertKept(
        "AKIA1234",
        "AKIAIOSFODNN7EXAMPLE1",
        "ghp_short",
        "xoxb-",
        "sk_live_short",
        "AIzaSyA-123",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
  }

  @Test
  void privateKeyBlocks() {
    String block =
        "-----BEGIN RSA PRIVATE KEY-----\n"
            + "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
            + "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
            + "-----END RSA PRIVATE KEY-----";
    assertThat(ALL.redact("key:\n" + block + "\nend")).isEqualTo("key:\n<SECRET>\nend");
    assertThat(ALL.redact(block.replace("RSA ", "")).trim()).isEqualTo("<SECRET>");
    assertThat(ALL.redact(block.replace("RSA", "OPENSSH"))).isEqualTo("<SECRET>");
    String cut = block.substring(0, block.indexOf("-----END"));
    assertThat(ALL.redact("config:\n" + cut + "\nNext paragraph here."))
        .isEqualTo("config:\n<SECRET>\nNext paragraph here.");
  }

  @Test
  void assignmentsReplaceOnlyAHighEntropyValue() {
    assertThat(ALL.redact("api_key = \"Zx8qL2mN4vB7kR1tQw9e\""))
        .isEqualTo("api_key = \"<SECRET>\"");
    assertThat(ALL.redact("export DB_PASSWORD=s3cR3t-P4ssw0rd!2024"))
        .isEqualTo("export DB_PASSWORD=<SECRET>");
    assertThat(ALL.redact("{\"token\": \"a1b2c3d4e5f6a7b8c9d0\", \"user\": \"bob\"}"))
        .isEqualTo("{\"token\": \"<SECRET>\", \"user\": \"bob\"}");
    assertThat(ALL.redact("client_secret: 9f86d081884c7d65a2b3\nname: app"))
        .isEqualTo("client_secret: <SECRET>\nname: app");
    assertThat(ALL.redact("GET /v1?apiKey=Q2x5ZmY3ZGQ4NTE0NjE3&lang=en"))
        .isEqualTo("GET /v1?apiKey=<SECRET>&lang=en");
    assertThat(ALL.redact("Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543"))
        .isEqualTo("Authorization: Bearer <SECRET>");
    assertThat(
            ALL.redact("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion"))
        .isEqualTo("aws_secret_access_key = <SECRET>\nregion");
    assertKept(
        "api_key = \"YOUR_API_KEY_HERE\"",
        "password = \"aaaa1111bbbb2222\"",
        "password=hunter2",
        "token: abcdefghijklmnopqrstuvwxyz",
        "secret = settings.SECRET_KEY_2",
        "the token: it is short",
        "tokens = 1234567890123456789",
        "pkcs11:token=Root%20CA%20Certificates;serial=1%3AROOTS%3ADEFAULT");
  }

  @Test
  void countsEveryTypeInADocument() {
    Document d =
        new Document(
            "id",
            "t",
            "Mail ann@example.com or bob@example.org, call +44 20 7946 0958, pay to"
                + " DE89 3704 0044 0532 0130 00 with 4111 1111 1111 1111 from 84.17.43.122"
                + " using key AKIAIOSFODNN7EXAMPLE.");
    assertThat(ALL.apply(d)).isNull();
    assertThat(d.text)
        .isEqualTo(
            "Mail <EMAIL> or <EMAIL>, call <PHONE>, pay to <IBAN> with <CREDIT_CARD> from"
                + " <IP_ADDRESS> using key <SECRET>.");
    assertThat(d.redactions)
        .containsExactly(
            Map.entry("CREDIT_CARD", 1),
            Map.entry("EMAIL", 2),
            Map.entry("IBAN", 1),
            Map.entry("IP_ADDRESS", 1),
            Map.entry("PHONE", 1),
            Map.entry("SECRET", 1));
    assertThat(ALL.redact(d.text)).isEqualTo(d.text);
  }

  @Test
  void disabledTypesAreKept() {
    PiiRedactor noEmail = redactor("preprocess.pii.email=false", "preprocess.pii.ip_address=false");
    Document d = new Document("id", "t", "ann@example.com, 84.17.43.122, +44 20 7946 0958");
    assertThat(noEmail.apply(d)).isNull();
    assertThat(d.text).isEqualTo("ann@example.com, 84.17.43.122, <PHONE>");
    assertThat(d.redactions).isEqualTo(Map.of("PHONE", 1));
    assertThat(ALL.name()).isEqualTo("pii");
  }

  @Test
  void survivesJavaSerializationLikeAShippedStep() throws Exception {
    PiiRedactor r = redactor("preprocess.pii.phone=false");
    r.open();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(r);
    }
    PiiRedactor copy;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (PiiRedactor) in.readObject();
    }
    assertThat(copy.redact("a@b.com +44 20 7946 0958")).isEqualTo("<EMAIL> +44 20 7946 0958");
  }

  @Test
  void checksums() {
    assertThat(PiiDetectors.luhn("79927398713")).isTrue();
    assertThat(PiiDetectors.luhn("79927398710")).isFalse();
    assertThat(PiiDetectors.validIban("GB82WEST12345698765432")).isTrue();
    assertThat(PiiDetectors.validIban("GB82WEST12345698765433")).isFalse();
    assertThat(PiiDetectors.shannonEntropy("aaaa")).isEqualTo(0.0);
    assertThat(PiiDetectors.shannonEntropy("abcd")).isEqualTo(2.0);
    assertThat(PiiDetectors.shannonEntropy("aabb")).isEqualTo(1.0);
  }
}
