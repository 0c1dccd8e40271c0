# Dockerfile - sluice in a container: Debian 12, multi-stage, running as the user sluice.
# SPDX-License-Identifier: Apache-2.0
#
#   docker build --build-arg SLUICE_COMMIT=$(git describe --tags --always --dirty) -t sluice .
#   docker run -d --name sluice -p 8030:8030 -p 8040:8040 -p 8442:8442 \
#              -v sluice-data:/var/lib/sluice sluice
#   docker exec sluice cat /var/lib/sluice/root-password      # generated at the first start
#
# The build stage builds the Debian package with the same scripts as `make deb`
# (scripts/build-deb.sh -> dpkg-buildpackage -> debian/rules -> scripts/build-release.sh); the
# runtime stage installs that package, so it gets exactly the package's runtime libraries.
# The password of root is made per container at the first start (contrib/docker-entrypoint.sh,
# or SLUICE_ROOT_PASSWORD / SLUICE_ROOT_PASSWORD_FILE), never baked into the image.

FROM debian:12 AS build
ARG SLUICE_COMMIT=
WORKDIR /src
COPY . .
# Without .git (see .dockerignore) the commit comes from VERSION; the build argument adds it.
RUN if [ -n "$SLUICE_COMMIT" ] && ! grep -q '^commit ' VERSION; then \
        printf 'commit %s\n' "$SLUICE_COMMIT" >>VERSION; fi \
 && sh scripts/deps.sh --with-deb \
 && sh scripts/build-deb.sh /out \
 && rm -rf /var/lib/apt/lists/*

FROM debian:12-slim
COPY --from=build /out/sluice_*.deb /tmp/
COPY contrib/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# The package's postinst creates the user sluice and /var/lib/sluice and sets a root password;
# that store and password are dropped here so that each container makes its own.
# bind = 0.0.0.0: inside a container, the published ports arrive on the container's address.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/sluice_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/sluice_*.deb /etc/sluice/root-password \
 && find /var/lib/sluice -mindepth 1 -delete \
 && sed -i 's/^# bind = .*/bind = 0.0.0.0/' /etc/sluice/sluice.conf \
 && chmod 0755 /usr/local/bin/docker-entrypoint.sh

USER sluice
WORKDIR /var/lib/sluice
VOLUME /var/lib/sluice
EXPOSE 8030 8040 8442
STOPSIGNAL SIGTERM
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["sluice", "serve", "--config", "/etc/sluice/sluice.conf"]
