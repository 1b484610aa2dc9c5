# Sourced by the scripts in bin/ and .ci/: exports JAVA_HOME pointing at a Java 25 JDK, or exits
# with a clear message. Looks at $JAVA_HOME, then the usual install folders, then `java` on PATH.
java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1
}
find_java25() {
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-25* /usr/lib/jvm/*-25* /opt/java/openjdk; do
    if [ -n "$c" ] && [ -x "$c/bin/java" ] && [ "$(java_major "$c")" = "25" ]; then
      echo "$c"; return 0
    fi
  done
  if command -v java >/dev/null 2>&1; then
    c=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    if [ "$(java_major "$c")" = "25" ]; then echo "$c"; return 0; fi
  fi
  return 1
}
if ! JAVA_HOME=$(find_java25); then
  echo "error: Java 25 is required (the engine uses the Java 25 Vector API and FFM)." >&2
  echo "Install a Java 25 JDK (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
