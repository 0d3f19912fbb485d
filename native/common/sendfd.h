/* Shared by the init and the addon: send one fd over a unix socket with
 * SCM_RIGHTS, `payload` as the data (the console master with its pty path;
 * a seccomp listener with the container process state). Returns what
 * sendmsg returns. */
#ifndef SKIFF_SENDFD_H
#define SKIFF_SENDFD_H
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

static inline ssize_t skiff_send_fd(int sock, int fd, const char *payload) {
  struct iovec iov = {(void *)payload, strlen(payload)};
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = sizeof cbuf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t r;
  do r = sendmsg(sock, &m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r;
}
#endif
