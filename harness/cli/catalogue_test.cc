#include "harness/cli/catalogue.h"

#include <stdlib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiospec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kAssertions[] = R"md(
## 9. aio_cancel() (AIO-CANCEL)

- **AIO-CANCEL-02** [SHALL | D] With a non-NULL aiocbp, only that request.
- **AIO-CANCEL-03** [SHALL | B,N] With `aiocbp == NULL`, every outstanding request.
## 4. aio_read() (AIO-READ)
- **AIO-READ-07** [SHALL | D] The data lands in aio_buf.
)md";

constexpr char kNotes[] = R"md(
| ID | level | check | model rule | tests | status |
|---|---|---|---|---|---|
| AIO-CANCEL-03 | SHALL | B,N | rules.cc: ApplyCancel | `cancel_null_after_completion` | tested |
)md";

TEST(CatalogueTest, ParsesEntriesWithSectionLevelAndCheck) {
  Catalogue c;
  ParseAssertions(kAssertions, c);
  ParseSpecNotes(kNotes, c);
  const CatalogueEntry* e = c.Find("aio-cancel-03");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->section, "9. aio_cancel() (AIO-CANCEL)");
  EXPECT_EQ(e->level, "SHALL");
  EXPECT_EQ(e->check, "B,N");
  EXPECT_EQ(e->text, "With `aiocbp == NULL`, every outstanding request.");
  EXPECT_EQ(e->model_rules, "rules.cc: ApplyCancel");
  EXPECT_EQ(e->status, "tested");
  EXPECT_EQ(c.Find("AIO-READ-07")->section, "4. aio_read() (AIO-READ)");
  EXPECT_EQ(c.Find("AIO-READ-07")->status, "");
  EXPECT_EQ(c.Find("AIO-CANCEL-99"), nullptr);
}

TEST(CatalogueTest, NearestPrefersTheSameFamily) {
  Catalogue c;
  ParseAssertions(kAssertions, c);
  EXPECT_THAT(c.Nearest("AIO-CANCEL-3", 2), ElementsAre("AIO-CANCEL-03", "AIO-CANCEL-02"));
  EXPECT_THAT(c.Nearest("AIO-READ-7", 1), ElementsAre("AIO-READ-07"));
}

TEST(CatalogueTest, RealCatalogueFromSourceTreeNamesCoveringTraces) {
  unsetenv("AIOSPEC_DATA_DIR");
  absl::StatusOr<std::string> dir = FindDataDir();
  ASSERT_TRUE(dir.ok()) << dir.status();
  absl::StatusOr<Catalogue> c = LoadCatalogue(*dir);
  ASSERT_TRUE(c.ok()) << c.status();
  const CatalogueEntry* e = c->Find("AIO-READ-07");
  ASSERT_NE(e, nullptr);
  EXPECT_THAT(e->traces, testing::Contains("read_at_offset"));
  EXPECT_THAT(FormatEntry(*e), HasSubstr("read_at_offset"));
}

TEST(CatalogueTest, RequiredMeansARequiredLevelAndACheckOtherThanX) {
  auto required = [](std::string level, std::string check) {
    CatalogueEntry e;
    e.level = std::move(level);
    e.check = std::move(check);
    return IsRequired(e);
  };
  EXPECT_TRUE(required("SHALL", "D"));
  EXPECT_TRUE(required("SHALL-FAIL", "S,B"));
  EXPECT_TRUE(required("MAY-FAIL", "D,N"));
  EXPECT_TRUE(required("SHALL (cond.)", "B,C"));
  EXPECT_TRUE(required("SHALL + IMPL-DEF exception", "N"));
  EXPECT_TRUE(required("SHALL/UNSPEC", "N"));
  EXPECT_FALSE(required("SHALL", "X"));
  EXPECT_FALSE(required("SHALL (cond.)", "C,X"));
  EXPECT_FALSE(required("MAY + IMPL-DEF", "P"));
  EXPECT_FALSE(required("UNSPEC", "D,N"));
  EXPECT_FALSE(required("APP", "N"));

  Catalogue c;
  ParseAssertions(kAssertions, c);
  c.entries["AIO-CANCEL-02"].level = "UNDEF";
  EXPECT_THAT(RequiredIds(c), ElementsAre("AIO-CANCEL-03", "AIO-READ-07"));
}

TEST(CatalogueTest, DataDirFromEnvironmentComesFirst) {
  setenv("AIOSPEC_DATA_DIR", "/nonexistent-aiospec", 1);
  absl::StatusOr<std::string> dir = FindDataDir();
  unsetenv("AIOSPEC_DATA_DIR");
  // Falls through to the source tree, but the message-free success must not
  // be the nonexistent directory.
  ASSERT_TRUE(dir.ok());
  EXPECT_NE(*dir, "/nonexistent-aiospec");
}

}  // namespace
}  // namespace aiospec
