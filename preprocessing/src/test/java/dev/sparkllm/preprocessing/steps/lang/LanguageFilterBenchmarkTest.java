package dev.sparkllm.preprocessing.steps.lang;

import com.github.pemistahl.lingua.api.IsoCode639_1;
import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetector;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Build time, heap and detection speed of lingua, for the report (not a test: run with {@code
 * -Dsparkllm.bench=true -Dprobe.mode=lazy|preload|low|all}, one mode per JVM because lingua's
 * models are static and load only once).
 */
@EnabledIfSystemProperty(named = "sparkllm.bench", matches = "true")
class LanguageFilterBenchmarkTest {
  static final String[][] SENT = {
    {
      "en",
      "The city council approved the new budget on Tuesday after a long debate about schools and roads.",
      "Most of the money will go to repairing bridges that were built more than fifty years ago.",
      "Residents who attended the meeting said they were worried about rising property taxes.",
      "The mayor promised that the changes would not affect public transport or the libraries."
    },
    {
      "de",
      "Der Stadtrat hat am Dienstag nach einer langen Debatte über Schulen und Straßen den neuen Haushalt beschlossen.",
      "Der größte Teil des Geldes fließt in die Reparatur von Brücken, die vor mehr als fünfzig Jahren gebaut wurden.",
      "Anwohner, die an der Sitzung teilnahmen, äußerten sich besorgt über steigende Grundsteuern.",
      "Die Bürgermeisterin versprach, dass die Änderungen den Nahverkehr und die Bibliotheken nicht betreffen."
    },
    {
      "fr",
      "Le conseil municipal a adopté mardi le nouveau budget après un long débat sur les écoles et les routes.",
      "La majeure partie de l'argent servira à réparer des ponts construits il y a plus de cinquante ans.",
      "Les habitants présents à la réunion se sont dits inquiets de la hausse des impôts fonciers.",
      "Le maire a promis que ces changements ne toucheraient ni les transports publics ni les bibliothèques."
    },
    {
      "es",
      "El ayuntamiento aprobó el martes el nuevo presupuesto tras un largo debate sobre escuelas y carreteras.",
      "La mayor parte del dinero se destinará a reparar puentes construidos hace más de cincuenta años.",
      "Los vecinos que asistieron a la reunión dijeron estar preocupados por la subida de los impuestos.",
      "El alcalde prometió que los cambios no afectarían al transporte público ni a las bibliotecas."
    },
    {
      "pt",
      "A câmara municipal aprovou na terça-feira o novo orçamento depois de um longo debate sobre escolas e estradas.",
      "A maior parte do dinheiro será usada para reparar pontes construídas há mais de cinquenta anos.",
      "Os moradores que participaram da reunião disseram estar preocupados com o aumento dos impostos.",
      "O prefeito prometeu que as mudanças não afetariam o transporte público nem as bibliotecas."
    },
    {
      "nl",
      "De gemeenteraad heeft dinsdag na een lang debat over scholen en wegen de nieuwe begroting goedgekeurd.",
      "Het grootste deel van het geld gaat naar het herstel van bruggen die meer dan vijftig jaar geleden zijn gebouwd.",
      "Bewoners die de vergadering bijwoonden, zeiden bezorgd te zijn over de stijgende belastingen.",
      "De burgemeester beloofde dat de veranderingen het openbaar vervoer en de bibliotheken niet raken."
    },
    {
      "it",
      "Il consiglio comunale ha approvato martedì il nuovo bilancio dopo un lungo dibattito su scuole e strade.",
      "La maggior parte del denaro servirà a riparare ponti costruiti più di cinquant'anni fa.",
      "I residenti presenti alla riunione si sono detti preoccupati per l'aumento delle tasse.",
      "Il sindaco ha promesso che i cambiamenti non toccheranno i trasporti pubblici né le biblioteche."
    },
  };

  static double margin(SortedMap<Language, Double> m) {
    List<Double> v = new ArrayList<>(m.values());
    v.sort(Comparator.reverseOrder());
    if (v.isEmpty()) return 0;
    if (v.size() == 1) return 1;
    return 1 - v.get(1) / v.get(0);
  }

  @Test
  void probe() {
    String mode = System.getProperty("probe.mode", "preload");
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long m0 = rt.totalMemory() - rt.freeMemory();
    long t0 = System.nanoTime();
    LanguageDetectorBuilder b =
        mode.equals("all")
            ? LanguageDetectorBuilder.fromAllLanguages()
            : LanguageDetectorBuilder.fromIsoCodes639_1(
                IsoCode639_1.EN,
                IsoCode639_1.DE,
                IsoCode639_1.FR,
                IsoCode639_1.ES,
                IsoCode639_1.IT,
                IsoCode639_1.PT,
                IsoCode639_1.NL);
    if (!mode.equals("lazy")) b = b.withPreloadedLanguageModels();
    if (mode.equals("low")) b = b.withLowAccuracyMode();
    LanguageDetector d = b.build();
    long t1 = System.nanoTime();
    System.gc();
    long m1 = rt.totalMemory() - rt.freeMemory();
    System.out.printf(
        "mode %s build %.0f ms, heap +%d MB%n", mode, (t1 - t0) / 1e6, (m1 - m0) >> 20);
    // 1000 docs of ~1000-2500 chars: sentences of one language repeated in a seeded order
    Random r = new Random(1);
    List<String> docs = new ArrayList<>();
    List<String> want = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      String[] l = SENT[i % SENT.length];
      StringBuilder sb = new StringBuilder();
      int target = 1000 + r.nextInt(1500);
      while (sb.length() < target) sb.append(l[1 + r.nextInt(4)]).append(' ');
      docs.add(sb.toString());
      want.add(l[0]);
    }
    for (int pass = 0; pass < 2; pass++) {
      long t2 = System.nanoTime();
      int ok = 0;
      double minMargin = 9, sum = 0;
      for (int i = 0; i < docs.size(); i++) {
        SortedMap<Language, Double> c =
            d.computeLanguageConfidenceValues(LanguageFilter.prefix(docs.get(i)));
        Language top = c.firstKey();
        if (top.getIsoCode639_1().name().toLowerCase().equals(want.get(i))) ok++;
        double mg = margin(c);
        minMargin = Math.min(minMargin, mg);
        sum += mg;
      }
      long t3 = System.nanoTime();
      System.gc();
      long m2 = rt.totalMemory() - rt.freeMemory();
      System.out.printf(
          "pass %d: 1000 docs %.0f ms (%.2f ms/doc), correct %d, margin min %.3f avg %.3f, heap now %d MB%n",
          pass, (t3 - t2) / 1e6, (t3 - t2) / 1e6 / 1000, ok, minMargin, sum / 1000, m2 >> 20);
    }
    for (String[] l : SENT) {
      for (int k = 1; k <= 4; k++) {
        String t = l[k];
        System.out.printf(
            "%s %.3f %s%n",
            l[0],
            margin(d.computeLanguageConfidenceValues(t)),
            d.computeLanguageConfidenceValues(t).firstKey());
      }
      String para = String.join(" ", Arrays.copyOfRange(l, 1, 5));
      System.out.printf("%s para %.3f%n", l[0], margin(d.computeLanguageConfidenceValues(para)));
    }
    String[] odd = {
      "xkcd qwrtz plmbg vrrt zzkp",
      "asdf jkl qwer uiop zxcv",
      "lorem ipsum dolor sit amet, consectetur adipiscing elit",
      "Hello",
      "OK thanks",
      "for (int i = 0; i < n; i++) { sum += a[i]; } return sum;",
      "import numpy as np\nx = np.zeros((3, 4))\nprint(x.shape)",
      "The meeting is tomorrow. Das Treffen ist morgen. La réunion est demain. La reunión es mañana.",
      "aaaa bbbb cccc dddd eeee",
      "Qwfp arst zxcv tgdh neio lumy; jklw brpo mcvk yqxz.",
      "Ich bin ein Berliner and I love this city very much",
      "sdkjfh skdjfh wieury xmcnvb qpwoei alskdj zmxncb"
    };
    for (String t : odd)
      System.out.printf(
          "odd %.3f %s [%s]%n",
          margin(d.computeLanguageConfidenceValues(t)),
          d.computeLanguageConfidenceValues(t).isEmpty()
              ? "-"
              : d.computeLanguageConfidenceValues(t).firstKey(),
          t);
  }
}
