// Tests of the bundled POSIX AIO implementation (aiospec_aio.h).
//
// Requests are held in progress with descriptors (an empty pipe, a full
// pipe), never with sleeps; sleeps only give a worker time to enter a
// system call where that matters for the path under test.

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bundled/aiospec_aio.h"
#include "gtest/gtest.h"

namespace {

using Clock = std::chrono::steady_clock;

int TempFile() {
  char path[] = "/tmp/aiospec-bundled-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  unlink(path);
  return fd;
}

std::string FileContents(int fd) {
  struct stat st;
  fstat(fd, &st);
  std::string s(static_cast<size_t>(st.st_size), '\0');
  EXPECT_EQ(pread(fd, s.data(), s.size(), 0), static_cast<ssize_t>(s.size()));
  return s;
}

aiocb MakeCb(int fd, void* buf, size_t n, off_t off) {
  aiocb cb;
  std::memset(&cb, 0, sizeof cb);
  cb.aio_fildes = fd;
  cb.aio_buf = buf;
  cb.aio_nbytes = n;
  cb.aio_offset = off;
  cb.aio_sigevent.sigev_notify = SIGEV_NONE;
  return cb;
}

// Waits for completion (bounded, so a bug fails instead of hanging).
bool WaitDone(aiocb* cb, int ms = 10000) {
  const aiocb* list[1] = {cb};
  auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  while (aiospec_aio_error(cb) == EINPROGRESS) {
    if (Clock::now() > deadline) return false;
    timespec ts = {0, 50 * 1000 * 1000};
    aiospec_aio_suspend(list, 1, &ts);
  }
  return true;
}

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    EXPECT_EQ(pipe(p), 0);
    r = p[0];
    w = p[1];
  }
  ~Pipe() {
    if (r >= 0) aiospec_close(r);
    if (w >= 0) aiospec_close(w);
  }
  // Fills the pipe so the next write blocks.
  void Fill() {
    fcntl(w, F_SETFL, O_NONBLOCK);
    char buf[4096];
    std::memset(buf, 'F', sizeof buf);
    while (write(w, buf, sizeof buf) > 0) {
    }
    size_t small = 1;  // a pipe may still take a byte or two
    while (write(w, buf, small) > 0) {
    }
    fcntl(w, F_SETFL, 0);
  }
  size_t Drain() {
    fcntl(r, F_SETFL, O_NONBLOCK);
    char buf[65536];
    size_t total = 0;
    ssize_t n;
    while ((n = read(r, buf, sizeof buf)) > 0) total += static_cast<size_t>(n);
    fcntl(r, F_SETFL, 0);
    return total;
  }
};

void SleepMs(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

TEST(BundledAio, ReadAndWriteAtOffsets) {
  int fd = TempFile();
  char data[] = "0123456789";
  aiocb w = MakeCb(fd, data, 10, 100);
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  ASSERT_TRUE(WaitDone(&w));
  EXPECT_EQ(aiospec_aio_error(&w), 0);
  EXPECT_EQ(aiospec_aio_return(&w), 10);
  std::string contents = FileContents(fd);
  ASSERT_EQ(contents.size(), 110u);
  EXPECT_EQ(contents.substr(100), "0123456789");
  EXPECT_EQ(contents.substr(0, 100), std::string(100, '\0'));

  char got[6] = {};
  aiocb r = MakeCb(fd, got, 5, 103);
  ASSERT_EQ(aiospec_aio_read(&r), 0);
  ASSERT_TRUE(WaitDone(&r));
  EXPECT_EQ(aiospec_aio_return(&r), 5);
  EXPECT_STREQ(got, "34567");

  aiocb past = MakeCb(fd, got, 5, 1000);  // at EOF: 0 bytes
  ASSERT_EQ(aiospec_aio_read(&past), 0);
  ASSERT_TRUE(WaitDone(&past));
  EXPECT_EQ(aiospec_aio_return(&past), 0);
  aiospec_close(fd);
}

TEST(BundledAio, SynchronousErrors) {
  char buf[4];
  aiocb bad = MakeCb(-1, buf, 4, 0);
  errno = 0;
  EXPECT_EQ(aiospec_aio_read(&bad), -1);
  EXPECT_EQ(errno, EBADF);

  Pipe p;
  aiocb wrong_mode = MakeCb(p.r, buf, 4, 0);  // write on the read end
  EXPECT_EQ(aiospec_aio_write(&wrong_mode), -1);
  EXPECT_EQ(errno, EBADF);
  aiocb wrong_mode2 = MakeCb(p.w, buf, 4, 0);
  EXPECT_EQ(aiospec_aio_read(&wrong_mode2), -1);
  EXPECT_EQ(errno, EBADF);

  int fd = TempFile();
  aiocb neg = MakeCb(fd, buf, 4, -1);
  EXPECT_EQ(aiospec_aio_read(&neg), -1);
  EXPECT_EQ(errno, EINVAL);
  aiocb prio = MakeCb(fd, buf, 4, 0);
  prio.aio_reqprio = AIOSPEC_AIO_PRIO_DELTA_MAX + 1;
  EXPECT_EQ(aiospec_aio_write(&prio), -1);
  EXPECT_EQ(errno, EINVAL);
  prio.aio_reqprio = -1;
  EXPECT_EQ(aiospec_aio_write(&prio), -1);
  EXPECT_EQ(errno, EINVAL);
  aiocb big = MakeCb(fd, buf, static_cast<size_t>(SSIZE_MAX) + 1, 0);
  EXPECT_EQ(aiospec_aio_read(&big), -1);
  EXPECT_EQ(errno, EINVAL);

  aiocb sync = MakeCb(fd, nullptr, 0, 0);
  EXPECT_EQ(aiospec_aio_fsync(O_RDWR, &sync), -1);
  EXPECT_EQ(errno, EINVAL);
  sync.aio_reqprio = -1;  // ignored by aio_fsync
  ASSERT_EQ(aiospec_aio_fsync(O_SYNC, &sync), 0);
  ASSERT_TRUE(WaitDone(&sync));
  EXPECT_EQ(aiospec_aio_error(&sync), 0);
  aiocb pipe_sync = MakeCb(p.w, nullptr, 0, 0);
  EXPECT_EQ(aiospec_aio_fsync(O_DSYNC, &pipe_sync), -1);
  EXPECT_EQ(errno, EINVAL);

  // A negative offset is fine where there is no offset.
  char one = 'x';
  aiocb pw = MakeCb(p.w, &one, 1, -5);
  ASSERT_EQ(aiospec_aio_write(&pw), 0);
  ASSERT_TRUE(WaitDone(&pw));
  EXPECT_EQ(aiospec_aio_return(&pw), 1);
  aiospec_close(fd);
}

TEST(BundledAio, OverlappingWritesLandInSubmissionOrder) {
  int fd = TempFile();
  constexpr int kWrites = 64;
  constexpr size_t kSize = 64 * 1024;
  std::vector<std::vector<char>> bufs(kWrites);
  std::vector<aiocb> cbs(kWrites);
  for (int i = 0; i < kWrites; ++i) {
    bufs[i].assign(kSize, static_cast<char>('A' + i % 26));
    // Shifting ranges: each overlaps the one before.
    cbs[i] = MakeCb(fd, bufs[i].data(), kSize, i * 1024);
    ASSERT_EQ(aiospec_aio_write(&cbs[i]), 0);
  }
  for (auto& cb : cbs) ASSERT_TRUE(WaitDone(&cb));
  std::string got = FileContents(fd);
  ASSERT_EQ(got.size(), (kWrites - 1) * 1024 + kSize);
  for (int i = 0; i < kWrites; ++i) {
    // Byte i*1024 was last written by request i.
    ASSERT_EQ(got[i * 1024], 'A' + i % 26) << "at block " << i;
  }
  aiospec_close(fd);
}

TEST(BundledAio, ReadWaitsForEarlierOverlappingWrite) {
  int fd = TempFile();
  constexpr size_t kSize = 1 << 20;
  for (int round = 0; round < 20; ++round) {
    std::vector<char> data(kSize, static_cast<char>('a' + round));
    std::vector<char> got(kSize, 0);
    aiocb w = MakeCb(fd, data.data(), kSize, 0);
    aiocb r = MakeCb(fd, got.data(), kSize, 0);
    ASSERT_EQ(aiospec_aio_write(&w), 0);
    ASSERT_EQ(aiospec_aio_read(&r), 0);
    ASSERT_TRUE(WaitDone(&r));
    // The read waited, so the write is already final too.
    EXPECT_NE(aiospec_aio_error(&w), EINPROGRESS);
    ASSERT_EQ(aiospec_aio_return(&r), static_cast<ssize_t>(kSize));
    ASSERT_EQ(got, data) << "round " << round;
    ASSERT_TRUE(WaitDone(&w));
  }
  aiospec_close(fd);
}

TEST(BundledAio, AppendWritesLandInSubmissionOrder) {
  char path[] = "/tmp/aiospec-bundled-XXXXXX";
  int tmp = mkstemp(path);
  ASSERT_GE(tmp, 0);
  int fd = open(path, O_WRONLY | O_APPEND);
  unlink(path);
  constexpr int kWrites = 100;
  std::vector<std::string> recs(kWrites);
  std::vector<aiocb> cbs(kWrites);
  std::string want;
  for (int i = 0; i < kWrites; ++i) {
    recs[i] = "<record " + std::to_string(i) + ">";
    want += recs[i];
    cbs[i] = MakeCb(fd, recs[i].data(), recs[i].size(), 0);
    ASSERT_EQ(aiospec_aio_write(&cbs[i]), 0);
  }
  for (auto& cb : cbs) ASSERT_TRUE(WaitDone(&cb));
  EXPECT_EQ(FileContents(tmp), want);
  aiospec_close(fd);
  aiospec_close(tmp);
}

TEST(BundledAio, FsyncCompletesAfterEarlierWrites) {
  int fd = TempFile();
  constexpr int kWrites = 16;
  std::vector<char> data(256 * 1024, 'z');
  std::vector<aiocb> cbs(kWrites);
  for (int i = 0; i < kWrites; ++i) {
    cbs[i] = MakeCb(fd, data.data(), data.size(), (off_t)i * data.size());
    ASSERT_EQ(aiospec_aio_write(&cbs[i]), 0);
  }
  aiocb sync = MakeCb(fd, nullptr, 0, 0);
  ASSERT_EQ(aiospec_aio_fsync(O_DSYNC, &sync), 0);
  ASSERT_TRUE(WaitDone(&sync));
  EXPECT_EQ(aiospec_aio_error(&sync), 0);
  for (auto& cb : cbs) EXPECT_EQ(aiospec_aio_error(&cb), 0);
  aiospec_close(fd);
}

TEST(BundledAio, PipeReadHeldThenReleased) {
  Pipe p;
  char got[16] = {};
  aiocb r = MakeCb(p.r, got, sizeof got, 0);
  ASSERT_EQ(aiospec_aio_read(&r), 0);
  const aiocb* list[1] = {&r};
  timespec ts = {0, 50 * 1000 * 1000};
  auto start = Clock::now();
  EXPECT_EQ(aiospec_aio_suspend(list, 1, &ts), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(45));
  EXPECT_EQ(aiospec_aio_error(&r), EINPROGRESS);
  ASSERT_EQ(write(p.w, "abc", 3), 3);
  ASSERT_TRUE(WaitDone(&r));
  EXPECT_EQ(aiospec_aio_return(&r), 3);
  EXPECT_STREQ(got, "abc");
}

TEST(BundledAio, SecondPipeReadWaitsForFirst) {
  Pipe p;
  char a[4] = {}, b[4] = {};
  aiocb r1 = MakeCb(p.r, a, 3, 0);
  aiocb r2 = MakeCb(p.r, b, 3, 0);
  ASSERT_EQ(aiospec_aio_read(&r1), 0);
  ASSERT_EQ(aiospec_aio_read(&r2), 0);
  ASSERT_EQ(write(p.w, "111", 3), 3);
  ASSERT_TRUE(WaitDone(&r1));
  EXPECT_STREQ(a, "111");
  ASSERT_EQ(write(p.w, "222", 3), 3);
  ASSERT_TRUE(WaitDone(&r2));
  EXPECT_STREQ(b, "222");
}

TEST(BundledAio, BlockedPipeRequestsDoNotStarveFileIo) {
  // More blocked requests than AIOSPEC_POOL_MAX, then file I/O.
  constexpr int kPipes = AIOSPEC_POOL_MAX + 8;
  std::vector<Pipe> pipes(kPipes);
  std::vector<char> bufs(kPipes);
  std::vector<aiocb> reads(kPipes);
  for (int i = 0; i < kPipes; ++i) {
    reads[i] = MakeCb(pipes[i].r, &bufs[i], 1, 0);
    ASSERT_EQ(aiospec_aio_read(&reads[i]), 0);
  }
  int fd = TempFile();
  char data[] = "file";
  aiocb w = MakeCb(fd, data, 4, 0);
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  ASSERT_TRUE(WaitDone(&w, 5000));
  EXPECT_EQ(aiospec_aio_return(&w), 4);
  for (int i = 0; i < kPipes; ++i) ASSERT_EQ(write(pipes[i].w, "x", 1), 1);
  for (auto& r : reads) {
    ASSERT_TRUE(WaitDone(&r));
    EXPECT_EQ(aiospec_aio_return(&r), 1);
  }
  aiospec_close(fd);
}

TEST(BundledAio, CancelQueuedRequest) {
  Pipe p;
  char a[4] = {}, b[4] = {};
  aiocb r1 = MakeCb(p.r, a, 3, 0);
  aiocb r2 = MakeCb(p.r, b, 3, 0);  // queued behind r1
  ASSERT_EQ(aiospec_aio_read(&r1), 0);
  ASSERT_EQ(aiospec_aio_read(&r2), 0);
  EXPECT_EQ(aiospec_aio_cancel(p.r, &r2), AIO_CANCELED);
  EXPECT_EQ(aiospec_aio_error(&r2), ECANCELED);
  EXPECT_EQ(aiospec_aio_return(&r2), -1);
  EXPECT_EQ(aiospec_aio_error(&r1), EINPROGRESS);
  ASSERT_EQ(write(p.w, "abc", 3), 3);
  ASSERT_TRUE(WaitDone(&r1));
  EXPECT_EQ(aiospec_aio_return(&r1), 3);
  EXPECT_EQ(aiospec_aio_cancel(p.r, &r1), AIO_ALLDONE);
}

TEST(BundledAio, CancelReadBlockedOnEmptyPipe) {
  Pipe p;
  for (int round = 0; round < 20; ++round) {
    char buf[8];
    aiocb r = MakeCb(p.r, buf, sizeof buf, 0);
    ASSERT_EQ(aiospec_aio_read(&r), 0);
    if (round % 2) SleepMs(5);  // sometimes inside read(), sometimes not yet
    auto start = Clock::now();
    EXPECT_EQ(aiospec_aio_cancel(p.r, &r), AIO_CANCELED);
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));
    EXPECT_EQ(aiospec_aio_error(&r), ECANCELED);
    EXPECT_EQ(aiospec_aio_return(&r), -1);
  }
  // The pipe still works and nothing was consumed.
  ASSERT_EQ(write(p.w, "ok", 2), 2);
  char got[3] = {};
  ASSERT_EQ(read(p.r, got, 2), 2);
  EXPECT_STREQ(got, "ok");
}

TEST(BundledAio, CancelWriteBlockedOnFullPipe) {
  Pipe p;
  p.Fill();
  char data[] = "late";
  aiocb w = MakeCb(p.w, data, 4, 0);
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  SleepMs(10);
  EXPECT_EQ(aiospec_aio_error(&w), EINPROGRESS);
  EXPECT_EQ(aiospec_aio_cancel(p.w, nullptr), AIO_CANCELED);
  EXPECT_EQ(aiospec_aio_error(&w), ECANCELED);
  size_t drained = p.Drain();
  EXPECT_GT(drained, 0u);
  EXPECT_EQ(p.Drain(), 0u);  // "late" never arrived
}

TEST(BundledAio, CancelAllOnDescriptorWithMixedStates) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_EQ(write(sv[1], "done", 4), 4);
  char b1[4], b2[4], b3[4];
  aiocb done = MakeCb(sv[0], b1, 4, 0);
  ASSERT_EQ(aiospec_aio_read(&done), 0);
  ASSERT_TRUE(WaitDone(&done));
  aiocb running = MakeCb(sv[0], b2, 4, 0);
  aiocb queued = MakeCb(sv[0], b3, 4, 0);
  ASSERT_EQ(aiospec_aio_read(&running), 0);
  ASSERT_EQ(aiospec_aio_read(&queued), 0);
  SleepMs(5);
  EXPECT_EQ(aiospec_aio_cancel(sv[0], nullptr), AIO_CANCELED);
  EXPECT_EQ(aiospec_aio_error(&done), 0);
  EXPECT_EQ(aiospec_aio_return(&done), 4);
  EXPECT_EQ(aiospec_aio_error(&running), ECANCELED);
  EXPECT_EQ(aiospec_aio_error(&queued), ECANCELED);
  EXPECT_EQ(aiospec_aio_cancel(sv[0], nullptr), AIO_ALLDONE);
  EXPECT_EQ(aiospec_aio_outstanding(), 0);
  aiospec_close(sv[0]);
  aiospec_close(sv[1]);
  errno = 0;
  EXPECT_EQ(aiospec_aio_cancel(sv[0], nullptr), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(BundledAio, CancelRunningFileRequestIsNotCancelledOrAllDone) {
  // A running regular-file request is not cancelable; the answer is
  // AIO_NOTCANCELED or, if it finished first, AIO_ALLDONE — never a lie.
  int fd = TempFile();
  std::vector<char> data(8 << 20, 'q');
  aiocb w = MakeCb(fd, data.data(), data.size(), 0);
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  int rc = aiospec_aio_cancel(fd, &w);
  if (rc == AIO_CANCELED) {
    EXPECT_EQ(aiospec_aio_error(&w), ECANCELED);
  } else {
    ASSERT_TRUE(rc == AIO_NOTCANCELED || rc == AIO_ALLDONE) << rc;
    ASSERT_TRUE(WaitDone(&w));
    EXPECT_EQ(aiospec_aio_return(&w), static_cast<ssize_t>(data.size()));
  }
  aiospec_close(fd);
}

TEST(BundledAio, CloseKeepsPendingWritesOffAReusedNumber) {
  Pipe p;
  p.Fill();
  char d1[] = "AAAA", d2[] = "BBBB";
  aiocb w1 = MakeCb(p.w, d1, 4, 0);
  aiocb w2 = MakeCb(p.w, d2, 4, 0);  // queued behind w1
  ASSERT_EQ(aiospec_aio_write(&w1), 0);
  ASSERT_EQ(aiospec_aio_write(&w2), 0);
  int number = p.w;
  ASSERT_EQ(aiospec_close(p.w), 0);
  p.w = -1;
  int reused = TempFile();
  ASSERT_EQ(reused, number);
  // Nothing is found on the reused number.
  EXPECT_EQ(aiospec_aio_cancel(reused, nullptr), AIO_ALLDONE);
  EXPECT_EQ(aiospec_aio_error(&w1), EINPROGRESS);
  std::string drained;
  char buf[65536];
  ssize_t n;
  while ((n = read(p.r, buf, sizeof buf)) > 0) drained.append(buf, n);
  // EOF came once our duplicates were closed at completion.
  ASSERT_TRUE(WaitDone(&w1));
  ASSERT_TRUE(WaitDone(&w2));
  EXPECT_EQ(aiospec_aio_return(&w1), 4);
  EXPECT_EQ(aiospec_aio_return(&w2), 4);
  EXPECT_EQ(drained.substr(drained.size() - 8), "AAAABBBB");
  EXPECT_EQ(FileContents(reused), "");
  aiospec_close(reused);
}

TEST(BundledAio, Dup2OntoBusyDescriptorHasCloseSemantics) {
  Pipe p;
  p.Fill();
  char d[] = "PIPE";
  aiocb w = MakeCb(p.w, d, 4, 0);
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  int fd = TempFile();
  ASSERT_EQ(aiospec_dup2(fd, p.w), p.w);  // p.w is now the file
  EXPECT_EQ(aiospec_aio_cancel(p.w, nullptr), AIO_ALLDONE);
  p.Drain();
  ASSERT_TRUE(WaitDone(&w));
  EXPECT_EQ(aiospec_aio_return(&w), 4);
  EXPECT_EQ(FileContents(fd), "");
  aiospec_close(fd);
}

TEST(BundledAio, SuspendAlreadyCompleteAndNullEntries) {
  int fd = TempFile();
  char d[] = "x";
  aiocb w = MakeCb(fd, d, 1, 0);
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  ASSERT_TRUE(WaitDone(&w));
  const aiocb* list[3] = {nullptr, &w, nullptr};
  timespec zero = {0, 0};
  EXPECT_EQ(aiospec_aio_suspend(list, 3, &zero), 0);
  EXPECT_EQ(aiospec_aio_suspend(list, 3, nullptr), 0);
  const aiocb* none[2] = {nullptr, nullptr};
  EXPECT_EQ(aiospec_aio_suspend(none, 2, &zero), -1);
  EXPECT_EQ(errno, EAGAIN);
  aiospec_close(fd);
}

TEST(BundledAio, SuspendWokenByCompletion) {
  Pipe p;
  char buf[4];
  aiocb r = MakeCb(p.r, buf, 4, 0);
  ASSERT_EQ(aiospec_aio_read(&r), 0);
  std::thread releaser([&] {
    SleepMs(50);
    ASSERT_EQ(write(p.w, "go", 2), 2);
  });
  const aiocb* list[1] = {&r};
  timespec ts = {5, 0};
  auto start = Clock::now();
  EXPECT_EQ(aiospec_aio_suspend(list, 1, &ts), 0);
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2000));
  EXPECT_EQ(aiospec_aio_return(&r), 2);
  releaser.join();
}

std::atomic<int> g_thread_calls{0};
std::atomic<int> g_thread_value{0};
std::atomic<int> g_thread_saw_status{-1};
aiocb* g_thread_cb = nullptr;

void OnThreadNotify(union sigval v) {
  g_thread_value = v.sival_int;
  g_thread_saw_status = aiospec_aio_error(g_thread_cb);
  g_thread_calls++;
}

TEST(BundledAio, SigevThreadRunsAfterCompletion) {
  int fd = TempFile();
  char d[] = "t";
  aiocb w = MakeCb(fd, d, 1, 0);
  g_thread_calls = 0;
  g_thread_value = 0;
  g_thread_saw_status = -1;
  g_thread_cb = &w;
  w.aio_sigevent.sigev_notify = SIGEV_THREAD;
  w.aio_sigevent.sigev_notify_function = OnThreadNotify;
  w.aio_sigevent.sigev_value.sival_int = 77;
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (g_thread_calls == 0 && Clock::now() < deadline) SleepMs(1);
  EXPECT_EQ(g_thread_calls, 1);
  EXPECT_EQ(g_thread_value, 77);
  EXPECT_EQ(g_thread_saw_status, 0);
  ASSERT_TRUE(WaitDone(&w));
  aiospec_close(fd);
}

// Blocks `signo` in this thread for the test's lifetime; workers block it
// too, so a process-directed signal stays pending for sigtimedwait.
class BlockedSignal {
 public:
  explicit BlockedSignal(int signo) : signo_(signo) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockedSignal() {
    timespec zero = {0, 0};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo_);
    while (sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  // Waits up to 5 s for one instance.
  bool Wait(siginfo_t* info) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo_);
    timespec ts = {5, 0};
    return sigtimedwait(&set, info, &ts) == signo_;
  }
  bool NonePending() {
    sigset_t set;
    sigpending(&set);
    return !sigismember(&set, signo_);
  }

 private:
  int signo_;
  sigset_t old_;
};

TEST(BundledAio, SigevSignalCarriesSiAsyncioAndValue) {
  int signo = SIGRTMIN + 2;
  BlockedSignal blocked(signo);
  int fd = TempFile();
  char d[] = "s";
  aiocb w = MakeCb(fd, d, 1, 0);
  w.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
  w.aio_sigevent.sigev_signo = signo;
  w.aio_sigevent.sigev_value.sival_int = 4242;
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  siginfo_t info;
  ASSERT_TRUE(blocked.Wait(&info));
  EXPECT_EQ(info.si_signo, signo);
  EXPECT_EQ(info.si_code, SI_ASYNCIO);
  EXPECT_EQ(info.si_value.sival_int, 4242);
  EXPECT_EQ(info.si_pid, getpid());
  EXPECT_EQ(aiospec_aio_error(&w), 0);  // published before the signal
  aiospec_close(fd);
}

TEST(BundledAio, CancelledRequestIsNotified) {
  int signo = SIGRTMIN + 3;
  BlockedSignal blocked(signo);
  Pipe p;
  char buf[4];
  aiocb r = MakeCb(p.r, buf, 4, 0);
  r.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
  r.aio_sigevent.sigev_signo = signo;
  r.aio_sigevent.sigev_value.sival_int = 9;
  ASSERT_EQ(aiospec_aio_read(&r), 0);
  EXPECT_EQ(aiospec_aio_cancel(p.r, &r), AIO_CANCELED);
  siginfo_t info;
  ASSERT_TRUE(blocked.Wait(&info));
  EXPECT_EQ(info.si_value.sival_int, 9);
}

TEST(BundledAio, LioListioWaitWithNopNullAndFailure) {
  int fd = TempFile();
  char a[] = "aa", b[] = "bb";
  aiocb w1 = MakeCb(fd, a, 2, 0);
  w1.aio_lio_opcode = LIO_WRITE;
  aiocb w2 = MakeCb(fd, b, 2, 2);
  w2.aio_lio_opcode = LIO_WRITE;
  aiocb nop = MakeCb(fd, b, 2, 10);
  nop.aio_lio_opcode = LIO_NOP;
  aiocb* list[4] = {&w1, nullptr, &nop, &w2};
  ASSERT_EQ(aiospec_lio_listio(LIO_WAIT, list, 4, nullptr), 0);
  EXPECT_EQ(aiospec_aio_error(&w1), 0);
  EXPECT_EQ(aiospec_aio_error(&w2), 0);
  EXPECT_EQ(FileContents(fd), "aabb");

  aiocb bad = MakeCb(-1, a, 2, 0);
  bad.aio_lio_opcode = LIO_WRITE;
  aiocb badop = MakeCb(fd, a, 2, 0);
  badop.aio_lio_opcode = 12345;
  aiocb ok = MakeCb(fd, a, 2, 4);
  ok.aio_lio_opcode = LIO_WRITE;
  aiocb* list2[3] = {&bad, &ok, &badop};
  EXPECT_EQ(aiospec_lio_listio(LIO_WAIT, list2, 3, nullptr), -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_EQ(aiospec_aio_error(&bad), EBADF);
  EXPECT_EQ(aiospec_aio_error(&badop), EINVAL);
  EXPECT_EQ(aiospec_aio_error(&ok), 0);
  EXPECT_EQ(aiospec_aio_return(&ok), 2);
  aiospec_close(fd);
}

TEST(BundledAio, LioListioRejectsBadModeAndLengthWithoutStarting) {
  int fd = TempFile();
  char a[] = "zz";
  aiocb w = MakeCb(fd, a, 2, 0);
  w.aio_lio_opcode = LIO_WRITE;
  aiocb* list[1] = {&w};
  EXPECT_EQ(aiospec_lio_listio(42, list, 1, nullptr), -1);
  EXPECT_EQ(errno, EINVAL);
  std::vector<aiocb*> many(AIOSPEC_AIO_LISTIO_MAX + 1, &w);
  EXPECT_EQ(aiospec_lio_listio(LIO_WAIT, many.data(),
                               static_cast<int>(many.size()), nullptr),
            -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(aiospec_aio_outstanding(), 0);
  EXPECT_EQ(FileContents(fd), "");
  aiospec_close(fd);
}

TEST(BundledAio, LioListioNowaitSendsListSignalAfterAll) {
  int signo = SIGRTMIN + 4;
  BlockedSignal blocked(signo);
  Pipe p;
  int fd = TempFile();
  char a[] = "12", got[3] = {};
  aiocb w = MakeCb(fd, a, 2, 0);
  w.aio_lio_opcode = LIO_WRITE;
  aiocb r = MakeCb(p.r, got, 2, 0);  // held until we write the pipe
  r.aio_lio_opcode = LIO_READ;
  aiocb* list[2] = {&w, &r};
  sigevent sig;
  std::memset(&sig, 0, sizeof sig);
  sig.sigev_notify = SIGEV_SIGNAL;
  sig.sigev_signo = signo;
  sig.sigev_value.sival_int = 31;
  ASSERT_EQ(aiospec_lio_listio(LIO_NOWAIT, list, 2, &sig), 0);
  ASSERT_TRUE(WaitDone(&w));
  SleepMs(20);
  EXPECT_TRUE(blocked.NonePending());  // r still in progress
  ASSERT_EQ(write(p.w, "xy", 2), 2);
  siginfo_t info;
  ASSERT_TRUE(blocked.Wait(&info));
  EXPECT_EQ(info.si_code, SI_ASYNCIO);
  EXPECT_EQ(info.si_value.sival_int, 31);
  EXPECT_EQ(aiospec_aio_error(&r), 0);
  EXPECT_EQ(aiospec_aio_return(&r), 2);
  aiospec_close(fd);
}

TEST(BundledAio, LioListioWaitIgnoresSig) {
  int signo = SIGRTMIN + 5;
  BlockedSignal blocked(signo);
  int fd = TempFile();
  char a[] = "w";
  aiocb w = MakeCb(fd, a, 1, 0);
  w.aio_lio_opcode = LIO_WRITE;
  aiocb* list[1] = {&w};
  sigevent sig;
  std::memset(&sig, 0, sizeof sig);
  sig.sigev_notify = SIGEV_SIGNAL;
  sig.sigev_signo = signo;
  ASSERT_EQ(aiospec_lio_listio(LIO_WAIT, list, 1, &sig), 0);
  SleepMs(20);
  EXPECT_TRUE(blocked.NonePending());
  aiospec_close(fd);
}

TEST(BundledAio, EagainAtTheLimitSysconfReports) {
  const long aio_max = aiospec_sysconf(_SC_AIO_MAX);
  ASSERT_EQ(aio_max, AIOSPEC_AIO_MAX);
  EXPECT_EQ(aiospec_sysconf(_SC_AIO_LISTIO_MAX), AIOSPEC_AIO_LISTIO_MAX);
  EXPECT_EQ(aiospec_sysconf(_SC_AIO_PRIO_DELTA_MAX), AIOSPEC_AIO_PRIO_DELTA_MAX);
  EXPECT_EQ(aiospec_sysconf(_SC_PAGESIZE), sysconf(_SC_PAGESIZE));
  Pipe p;
  std::vector<char> bufs(aio_max + 1);
  std::vector<aiocb> cbs(aio_max + 1);
  int queued = 0;
  for (int i = 0; i <= aio_max; ++i) {
    cbs[i] = MakeCb(p.r, &bufs[i], 1, 0);
    if (aiospec_aio_read(&cbs[i]) != 0) {
      EXPECT_EQ(errno, EAGAIN);
      break;
    }
    ++queued;
  }
  EXPECT_EQ(queued, AIOSPEC_AIO_MAX);
  EXPECT_EQ(aiospec_aio_cancel(p.r, nullptr), AIO_CANCELED);
  for (int i = 0; i < queued; ++i)
    EXPECT_EQ(aiospec_aio_error(&cbs[i]), ECANCELED);
  EXPECT_EQ(aiospec_aio_outstanding(), 0);
}

TEST(BundledAio, ForkChildInheritsNoRequests) {
  Pipe p;
  char buf[8] = {};
  aiocb r = MakeCb(p.r, buf, 4, 0);
  ASSERT_EQ(aiospec_aio_read(&r), 0);
  ASSERT_EQ(aiospec_aio_outstanding(), 1);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int bad = 0;
    if (aiospec_aio_outstanding() != 0) bad |= 1;
    if (aiospec_aio_cancel(p.r, nullptr) != AIO_ALLDONE) bad |= 2;
    // The parent's request does not run here: its buffer stays empty.
    usleep(100 * 1000);
    if (buf[0] != 0) bad |= 4;
    _exit(bad);
  }
  SleepMs(20);
  ASSERT_EQ(write(p.w, "data", 4), 4);
  ASSERT_TRUE(WaitDone(&r));
  EXPECT_EQ(aiospec_aio_return(&r), 4);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// aio_error and aio_suspend from a signal handler that interrupted
// aio_suspend on the same thread.
const aiocb* g_handler_outer = nullptr;
const aiocb* g_handler_inner = nullptr;
std::atomic<int> g_handler_outer_status{-1};
std::atomic<int> g_handler_suspend_rc{-2};
std::atomic<int> g_handler_inner_status{-1};

void OnUsr1(int) {
  int saved = errno;
  g_handler_outer_status = aiospec_aio_error(g_handler_outer);
  const aiocb* list[1] = {g_handler_inner};
  timespec ts = {5, 0};
  g_handler_suspend_rc = aiospec_aio_suspend(list, 1, &ts);
  g_handler_inner_status = aiospec_aio_error(g_handler_inner);
  errno = saved;
}

TEST(BundledAio, SignalHandlerUsesErrorAndSuspendDuringSuspend) {
  Pipe outer_pipe, inner_pipe;
  char b1[4], b2[4];
  aiocb outer = MakeCb(outer_pipe.r, b1, 4, 0);
  aiocb inner = MakeCb(inner_pipe.r, b2, 4, 0);
  ASSERT_EQ(aiospec_aio_read(&outer), 0);
  ASSERT_EQ(aiospec_aio_read(&inner), 0);
  g_handler_outer = &outer;
  g_handler_inner = &inner;
  struct sigaction sa, old;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnUsr1;
  sa.sa_flags = SA_RESTART;  // aio_suspend still reports the interruption
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  pthread_t main_thread = pthread_self();
  std::thread helper([&] {
    SleepMs(50);
    pthread_kill(main_thread, SIGUSR1);
    SleepMs(50);
    ASSERT_EQ(write(inner_pipe.w, "in", 2), 2);
  });
  const aiocb* list[1] = {&outer};
  timespec ts = {10, 0};
  int rc = aiospec_aio_suspend(list, 1, &ts);
  int err = errno;
  helper.join();
  EXPECT_EQ(rc, -1);
  EXPECT_EQ(err, EINTR);
  EXPECT_EQ(g_handler_outer_status, EINPROGRESS);
  EXPECT_EQ(g_handler_suspend_rc, 0);
  EXPECT_EQ(g_handler_inner_status, 0);
  ASSERT_EQ(write(outer_pipe.w, "out", 3), 3);
  ASSERT_TRUE(WaitDone(&outer));
  sigaction(SIGUSR1, &old, nullptr);
}

TEST(BundledAio, ZeroedSigeventMeansNoSignal) {
  // SIGEV_SIGNAL is 0 on Linux: a zeroed aiocb asks for "signal 0".
  int fd = TempFile();
  char d[] = "0";
  aiocb w;
  std::memset(&w, 0, sizeof w);
  w.aio_fildes = fd;
  w.aio_buf = d;
  w.aio_nbytes = 1;
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  ASSERT_TRUE(WaitDone(&w));
  EXPECT_EQ(aiospec_aio_return(&w), 1);
  aiocb bad = MakeCb(fd, d, 1, 0);
  bad.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
  bad.aio_sigevent.sigev_signo = 100000;
  EXPECT_EQ(aiospec_aio_write(&bad), -1);
  EXPECT_EQ(errno, EINVAL);
  aiospec_close(fd);
}

TEST(BundledAio, CancelOfRequestDetachedByCloseIsNotCancelled) {
  Pipe p;
  p.Fill();
  char d[] = "DATA";
  aiocb w = MakeCb(p.w, d, 4, 0);
  ASSERT_EQ(aiospec_aio_write(&w), 0);
  int number = p.w;
  ASSERT_EQ(aiospec_close(p.w), 0);
  p.w = -1;
  int reused = TempFile();
  ASSERT_EQ(reused, number);
  // Same number, same aiocb: never AIO_ALLDONE while it is in progress.
  EXPECT_EQ(aiospec_aio_cancel(reused, &w), AIO_NOTCANCELED);
  EXPECT_EQ(aiospec_aio_error(&w), EINPROGRESS);
  p.Drain();
  ASSERT_TRUE(WaitDone(&w));
  EXPECT_EQ(aiospec_aio_return(&w), 4);
  aiospec_close(reused);
}

int ThreadCount() {
  DIR* d = opendir("/proc/self/task");
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

TEST(BundledAio, IdleWorkersExit) {
  // A first thread makes sanitizers start their helper threads now, so
  // they are part of the baseline.
  std::thread([] {}).join();
  int before = ThreadCount();
  int fd = TempFile();
  std::vector<char> data(1 << 20, 'i');
  std::vector<aiocb> cbs(8);
  for (int i = 0; i < 8; ++i) {  // disjoint: may run in parallel
    cbs[i] = MakeCb(fd, data.data(), data.size(), (off_t)i * data.size());
    ASSERT_EQ(aiospec_aio_write(&cbs[i]), 0);
  }
  for (auto& cb : cbs) ASSERT_TRUE(WaitDone(&cb));
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (ThreadCount() > before && Clock::now() < deadline) SleepMs(50);
  EXPECT_LE(ThreadCount(), before);
  aiospec_close(fd);
}

TEST(BundledAio, ManyThreadsManyFiles) {
  constexpr int kThreads = 8, kPerThread = 30;  // within AIOSPEC_AIO_MAX
  static_assert(kThreads * kPerThread <= AIOSPEC_AIO_MAX);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int fd = TempFile();
      std::vector<aiocb> cbs(kPerThread);
      std::vector<char> data(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        data[i] = static_cast<char>('a' + (t + i) % 26);
        cbs[i] = MakeCb(fd, &data[i], 1, i);
        if (aiospec_aio_write(&cbs[i]) != 0) failures++;
      }
      for (auto& cb : cbs)
        if (!WaitDone(&cb) || aiospec_aio_return(&cb) != 1) failures++;
      if (FileContents(fd) != std::string(data.begin(), data.end())) failures++;
      aiospec_close(fd);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

}  // namespace

namespace {

// The per-descriptor duplicate cache (aio_dup.c) must follow the number to
// its new file after close (through the hook) and open.
TEST(BundledAioDupCache, RequestAfterCloseAndReopenGoesToNewFile) {
  char p1[] = "/tmp/aiospec-cache-a-XXXXXX";
  char p2[] = "/tmp/aiospec-cache-b-XXXXXX";
  int a = mkstemp(p1);
  int b = mkstemp(p2);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  aiospec_close(b);
  char x = 'x';
  aiocb cb = MakeCb(a, &x, 1, 0);
  ASSERT_EQ(aiospec_aio_write(&cb), 0);  // caches a duplicate of a
  ASSERT_TRUE(WaitDone(&cb));
  ASSERT_EQ(aiospec_close(a), 0);
  int again = open(p2, O_RDWR);
  ASSERT_EQ(again, a);  // the same number, another file
  char y = 'y';
  cb = MakeCb(again, &y, 1, 0);
  ASSERT_EQ(aiospec_aio_write(&cb), 0);
  ASSERT_TRUE(WaitDone(&cb));
  EXPECT_EQ(FileContents(again), "y");
  int first = open(p1, O_RDONLY);
  EXPECT_EQ(FileContents(first), "x");
  aiospec_close(first);
  aiospec_close(again);
  unlink(p1);
  unlink(p2);
}

// After close through the hook the cache entry is gone: the number fails
// with EBADF until reused, and its new file's access mode and contents are
// the ones that count.
TEST(BundledAioDupCache, ClosedNumberIsCheckedAgain) {
  char p1[] = "/tmp/aiospec-cache-c-XXXXXX";
  char p2[] = "/tmp/aiospec-cache-d-XXXXXX";
  int a = mkstemp(p1);
  int b = mkstemp(p2);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  aiospec_close(b);
  char x = 'x';
  aiocb cb = MakeCb(a, &x, 1, 0);
  ASSERT_EQ(aiospec_aio_write(&cb), 0);  // caches a duplicate of a
  ASSERT_TRUE(WaitDone(&cb));
  ASSERT_EQ(aiospec_close(a), 0);
  cb = MakeCb(a, &x, 1, 0);
  EXPECT_EQ(aiospec_aio_write(&cb), -1);
  EXPECT_EQ(errno, EBADF);
  int again = open(p2, O_RDONLY);
  ASSERT_EQ(again, a);
  char y = 'y';
  cb = MakeCb(again, &y, 1, 0);
  EXPECT_EQ(aiospec_aio_write(&cb), -1);  // read-only now
  EXPECT_EQ(errno, EBADF);
  char got = 0;
  cb = MakeCb(again, &got, 1, 0);
  ASSERT_EQ(aiospec_aio_read(&cb), 0);
  ASSERT_TRUE(WaitDone(&cb));
  EXPECT_EQ(aiospec_aio_return(&cb), 0);  // the new, empty file
  aiospec_close(again);
  unlink(p1);
  unlink(p2);
}

// Many rounds of requests on one cached descriptor (reused records, one
// file queue record): in every round four overlapping writes land in
// submission order among independent ones, and every request completes.
TEST(BundledAioDupCache, ManyRoundsOnOneDescriptorKeepOrder) {
  int fd = TempFile();
  constexpr int kRounds = 200;
  constexpr int kDepth = 16;
  constexpr int kOverlapping = 4;  // slots 0..3 all write bytes [0, 64)
  std::vector<aiocb> cbs(kDepth);
  std::vector<std::vector<char>> bufs(kDepth, std::vector<char>(64));
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kDepth; ++i) {
      char c = static_cast<char>('a' + (round + i) % 26);
      std::fill(bufs[i].begin(), bufs[i].end(), c);
      off_t off = i < kOverlapping ? 0 : 64 * i;
      cbs[i] = MakeCb(fd, bufs[i].data(), 64, off);
      ASSERT_EQ(aiospec_aio_write(&cbs[i]), 0);
    }
    for (int i = 0; i < kDepth; ++i) {
      ASSERT_TRUE(WaitDone(&cbs[i]));
      ASSERT_EQ(aiospec_aio_return(&cbs[i]), 64);
    }
    char head[64];
    ASSERT_EQ(pread(fd, head, sizeof head, 0), 64);
    char want = static_cast<char>('a' + (round + kOverlapping - 1) % 26);
    ASSERT_EQ(std::string(head, 64), std::string(64, want)) << round;
  }
  aiospec_close(fd);
}

// dup2 onto a cached number: later requests go to dup2's source file.
TEST(BundledAioDupCache, Dup2OntoCachedNumberRetargets) {
  int a = TempFile();
  int b = TempFile();
  char x = 'x';
  aiocb cb = MakeCb(a, &x, 1, 0);
  ASSERT_EQ(aiospec_aio_write(&cb), 0);
  ASSERT_TRUE(WaitDone(&cb));
  ASSERT_EQ(aiospec_dup2(b, a), a);
  char y = 'y';
  cb = MakeCb(a, &y, 1, 0);
  ASSERT_EQ(aiospec_aio_write(&cb), 0);
  ASSERT_TRUE(WaitDone(&cb));
  EXPECT_EQ(FileContents(b), "y");
  aiospec_close(a);
  aiospec_close(b);
}

}  // namespace
