#include "harness/cli/fault_table.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "harness/cli/report.h"

namespace aiospec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::string_view kHeader =
    "fault\tarea\tdescription\tkilled_by\tfuzzer\tminimal_trace\tminimal_trace_text\t"
    "fuzz_trace\tfuzz_trace_text\n";

std::string Table(absl::string_view rows) {
  return absl::StrCat("# aiospec-faults-table/1\n# summary\t2 faults; 1 killed.\n", kHeader,
                      rows);
}

TEST(FaultTableTest, ParsesRowsAndUnescapesFields) {
  absl::StatusOr<FaultTable> t = ParseFaultTable(
      Table("fsync_inline\tfsync order\tsyncs at once\th: HANG\\nw: FAIL AIO-FSYNC-03\t"
            "4.4 s (4/5 seeds)\tc/h.trace\taiospec-trace 1\\nfile f\\n\t\t\n"
            "lost\tnotify\tnever sent\t\t> 30 s (0/3 seeds)\t\t\t\t\n"),
      "t.tsv");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->summary, ::testing::ElementsAre("2 faults; 1 killed."));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0].killed_by, "h: HANG\nw: FAIL AIO-FSYNC-03");
  EXPECT_EQ(t->rows[0].minimal_trace_text, "aiospec-trace 1\nfile f\n");
  EXPECT_EQ(t->rows[1].killed_by, "");
}

TEST(FaultTableTest, BadInputNamesTheLine) {
  EXPECT_THAT(ParseFaultTable("# only a comment\n", "t.tsv").status().message(),
              HasSubstr("t.tsv:2: no header row"));
  EXPECT_THAT(ParseFaultTable("fault\tarea\n", "t.tsv").status().message(),
              HasSubstr("t.tsv:1: header"));
  EXPECT_THAT(ParseFaultTable(Table("a\tb\n"), "t.tsv").status().message(),
              HasSubstr("t.tsv:4: 2 fields, want 9"));
  EXPECT_THAT(ParseFaultTable(Table("a\tb\tc\td\\x\te\tf\tg\th\ti\n"), "t.tsv").status().message(),
              HasSubstr("t.tsv:4: killed_by"));
  EXPECT_FALSE(ReadFaultTable("/nonexistent/table.tsv").ok());
}

TEST(FaultTableTest, ReportShowsItInEveryFormatButJunit) {
  absl::StatusOr<FaultTable> t = ParseFaultTable(
      Table("status_first\tstatus before data\tpublishes <early>\t\t> 30 s (0/5 seeds)\t"
            "c/s.trace\tfile f\\n\t\t\n"),
      "faults/table.tsv");
  ASSERT_TRUE(t.ok()) << t.status();
  Report report;
  report.targets = {"bundled"};
  EXPECT_THAT(RenderHtml(report), Not(HasSubstr("Seeded faults")));
  report.faults = *t;
  const std::string html = RenderHtml(report);
  EXPECT_THAT(html, HasSubstr("id=\"faults\""));
  EXPECT_THAT(html, HasSubstr("publishes &lt;early&gt;"));  // escaped
  EXPECT_THAT(html, HasSubstr(">survives<"));                 // no killer: a gap, shown
  EXPECT_THAT(html, HasSubstr("<pre>file f\n</pre>"));
  EXPECT_THAT(RenderMarkdown(report), HasSubstr("| `status_first` | status before data | **survives** |"));
  EXPECT_THAT(RenderJson(report),
              HasSubstr("\"seeded_faults\":{\"source\":\"faults/table.tsv\",\"summary\":["
                        "\"2 faults; 1 killed.\"]"));
  EXPECT_THAT(RenderJunit(report), Not(HasSubstr("status_first")));
}

}  // namespace
}  // namespace aiospec
