// The planner's answers as CommonMark (agent/markdown.h). The end-to-end check renders real
// answers with a CommonMark library (tests/compat/markdown.test.mjs); these pin the rules.
#include <gtest/gtest.h>

#include "agent/markdown.h"

namespace billing {
namespace {

TEST(PlannerMarkdownTest, ListsAreSetApartAndTheirLabelsAreBold) {
  EXPECT_EQ(PlannerMarkdown("Customer CUST-001.\nOpen invoices:\n- INV-1: $10.00\n- INV-2: $5.00\n"
                            "Recent payments:\n- PAY-1: $3.00\nTax rate: 8%."),
            "Customer CUST-001.\n\n**Open invoices:**\n\n- INV-1: $10.00\n- INV-2: $5.00\n\n"
            "**Recent payments:**\n\n- PAY-1: $3.00\n\nTax rate: 8%.");
}

TEST(PlannerMarkdownTest, LinesOfTextStayLines) {
  EXPECT_EQ(PlannerMarkdown("Line one.\nLine two.\n\nNew paragraph."),
            "Line one.  \nLine two.\n\nNew paragraph.");
  EXPECT_EQ(PlannerMarkdown("Found 2.\n- a\n- b"), "Found 2.\n\n- a\n- b");
}

TEST(PlannerMarkdownTest, WhatMarkdownWouldReadAsSyntaxIsEscaped) {
  EXPECT_EQ(PlannerMarkdown("*Acme* <b>Co</b> [x](y) `z` ~~w~~ AT&amp;T"),
            "\\*Acme\\* \\<b>Co\\</b> \\[x\\](y) \\`z\\` \\~\\~w\\~\\~ AT\\&amp;T");
  // '_' inside a word cannot start emphasis and stays as typed; at a word's edge it is escaped.
  EXPECT_EQ(PlannerMarkdown("net_30 _x_"), "net_30 \\_x\\_");
  EXPECT_EQ(PlannerMarkdown("R&D costs"), "R&D costs");
  // Block syntax at a line's start.
  EXPECT_EQ(PlannerMarkdown("# 1\n> quote\n2026. a year\n+ plus\n---"),
            "\\# 1  \n\\> quote  \n2026\\. a year  \n\\+ plus  \n\\---");
  EXPECT_EQ(PlannerMarkdown("- # not a heading"), "- \\# not a heading");
}

TEST(PlannerMarkdownTest, TablesPassThroughWithTheirCellsEscaped) {
  const std::string table = MarkdownTableRow({"Customer", "Due"}) + "\n" +
                            MarkdownTableRule({false, true}) + "\n" +
                            MarkdownTableRow({MarkdownCell("A|B *Co*"), MarkdownCell("$1.00")});
  EXPECT_EQ(table, "| Customer | Due |\n|---|---:|\n| A\\|B \\*Co\\* | $1.00 |");
  EXPECT_EQ(PlannerMarkdown("Aging:\n" + table + "\nDone."),
            "**Aging:**\n\n" + table + "\n\nDone.");
}

}  // namespace
}  // namespace billing
