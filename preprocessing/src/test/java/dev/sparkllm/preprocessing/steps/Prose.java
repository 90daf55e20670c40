package dev.sparkllm.preprocessing.steps;

/**
 * Edited American prose in the style of the Brown corpus (news and fiction), with what such text
 * has: long lines, quotes closed by ” '' and ', abbreviations, numbers, a dash, an ampersand.
 */
public final class Prose {
  private Prose() {}

  public static final String PARAGRAPHS =
      "The county commission said Tuesday that its review of the city's water contracts had"
          + " found \u201Cno evidence of waste or fraud,\u201D but it urged the council to publish"
          + " the bids before the next vote. Mr. Harlan, who led the review, told reporters that"
          + " the process was slow and often confusing to residents.\n"
          + "\n"
          + "\u201CWe are not accusing anyone,\u201D he said. \u201CWe are asking for daylight.\u201D"
          + " The commission voted 5 to 2 to send the report to the state auditor, and Mrs."
          + " Nolan, the chairman, said she expected an answer by the end of March.\n"
          + "\n"
          + "Some members of the council were less patient. ``The people of this town have waited"
          + " long enough for a straight answer,'' one of them said, adding that the Smith & Sons"
          + " contract alone had cost more than $40,000 in 1961. Another member said the delays"
          + " -- and there were many -- came from the state, not from the city.\n"
          + "\n"
          + "Later that evening, the mayor met with the two dissenters at his home on Elm Street."
          + " Neither side would say what was discussed, but a spokesman for the mayor said the"
          + " talks had been 'friendly and useful.' He added, \u201CThe door is open.\u201D\n"
          + "\n"
          + "She looked at the old house for a long time before she went in. The porch had been"
          + " painted since her last visit, and someone had planted roses along the fence. It was"
          + " strange, she thought, how a place could change so much and still feel the same.\n";
}
