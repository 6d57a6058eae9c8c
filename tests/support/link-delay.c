/*
 * Delays every packet of one NFQUEUE queue by a fixed time, in order: the "150 ms delay" link of
 * the link-shape bench on a kernel with no netem qdisc. Run inside a test host's namespace, with an
 * nftables rule that sends packets to the queue (tests/support/link-delay.ts). Only packet ids and
 * arrival times are kept: the payload never leaves the kernel (copy mode META).
 *
 * Usage: link-delay <queue number> <delay ms>. Prints "ready" once bound; ends on SIGTERM/SIGINT.
 * The queue fails open: if it overflows, the kernel lets packets through undelayed rather than
 * dropping them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define RING 65536

static uint32_t ids[RING];
static int64_t due[RING];
static size_t head, tail;
static int64_t delay_ns;
static volatile sig_atomic_t stopping;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *msg, struct nfq_data *data, void *unused) {
  (void)msg;
  (void)unused;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
  if (header == NULL) return 0;
  uint32_t id = ntohl(header->packet_id);
  if (tail - head >= RING) return nfq_set_verdict(queue, id, NF_ACCEPT, 0, NULL);
  ids[tail % RING] = id;
  due[tail % RING] = now_ns() + delay_ns;
  tail++;
  return 0;
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <queue number> <delay ms>\n", argv[0]);
    return 2;
  }
  int queue_num = atoi(argv[1]);
  delay_ns = (int64_t)atoi(argv[2]) * 1000000;
  struct nfq_handle *handle = nfq_open();
  if (handle == NULL) {
    perror("nfq_open");
    return 1;
  }
  struct nfq_q_handle *queue = nfq_create_queue(handle, queue_num, on_packet, NULL);
  if (queue == NULL) {
    perror("nfq_create_queue");
    return 1;
  }
  if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0 || nfq_set_queue_maxlen(queue, RING) < 0 ||
      nfq_set_queue_flags(queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0) {
    perror("configuring the queue");
    return 1;
  }
  nfnl_rcvbufsiz(nfq_nfnlh(handle), 8 * 1024 * 1024);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("ready\n");
  fflush(stdout);

  int fd = nfq_fd(handle);
  char buffer[65536];
  while (!stopping) {
    int64_t now = now_ns();
    while (head != tail && due[head % RING] <= now) {
      nfq_set_verdict(queue, ids[head % RING], NF_ACCEPT, 0, NULL);
      head++;
    }
    int timeout_ms = head == tail ? 100 : (int)((due[head % RING] - now + 999999) / 1000000);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, timeout_ms) <= 0) continue;
    ssize_t length = recv(fd, buffer, sizeof buffer, 0);
    if (length < 0) {
      if (errno == ENOBUFS || errno == EINTR) continue;
      perror("recv");
      break;
    }
    nfq_handle_packet(handle, buffer, (int)length);
  }
  while (head != tail) nfq_set_verdict(queue, ids[head++ % RING], NF_ACCEPT, 0, NULL);
  nfq_destroy_queue(queue);
  nfq_close(handle);
  return 0;
}
