// meshsimCanary(service: 'frontend'|'business'): the canary pipeline of a
// canaried service (k8s/jenkins/pipelines/NAME-canary.Jenkinsfile).
//
// ACTION:
//   canary   build, test and push CANARY_TAG, gate it in the simulator, run
//            the canary Deployment beside stable (STABLE_TAG), route
//            CANARY_WEIGHT % to it
//   weights  only shift traffic: CANARY_WEIGHT % to the canary (gated too)
//   promote  stable := CANARY_TAG, all traffic to stable
//   rollback all traffic to stable, canary scaled to zero (no gate: always allowed)
// Before it touches the cluster, every action but rollback runs the matching
// meshsim scenario (scenarios/canary-NAME.yaml) in virtual time as a gate:
// Flagger's progressive delivery of the canary (weights stepped up while its
// success rate and p99 hold, then promoted) and the scenario's SLO
// assertions; a rolled-back canary or a failing assertion fails the build. A
// failure after the cluster was touched rolls the split back to stable.
def call(Map cfg) {
    String svc = cfg.service
    pipeline {
        agent { label cfg.get('agent', 'meshsim') }
        options {
            timeout(time: 60, unit: 'MINUTES')
            disableConcurrentBuilds()
            buildDiscarder(logRotator(numToKeepStr: '50'))
        }
        parameters {
            choice(name: 'ACTION', choices: ['canary', 'weights', 'promote', 'rollback'], description: 'What to do (see k8s/README.md, "Canary")')
            string(name: 'STABLE_TAG', defaultValue: '', description: 'Stable image tag (empty: keep what runs)')
            string(name: 'CANARY_TAG', defaultValue: '', description: 'Canary image tag (canary, promote; empty for canary: the commit)')
            string(name: 'CANARY_WEIGHT', defaultValue: '10', description: 'Percent of traffic to the canary (0-100)')
            booleanParam(name: 'CANARY_ENABLED', defaultValue: true, description: 'Canary switch: false routes everything to stable and scales the canary to zero')
        }
        environment {
            SERVICE = "${svc}"
            SCENARIO = "scenarios/canary-${svc}.yaml"
        }
        stages {
            stage('Clean workspace') {
                steps { cleanWs() }
            }
            stage('Checkout') {
                steps {
                    checkout scm
                    script {
                        if (!params.CANARY_ENABLED) {
                            env.DO_ACTION = 'rollback'
                        } else {
                            env.DO_ACTION = params.ACTION
                        }
                        int w = params.CANARY_WEIGHT as int
                        if (w < 0 || w > 100) {
                            error("CANARY_WEIGHT must be 0..100, not ${params.CANARY_WEIGHT}")
                        }
                        env.CANARY_W = "${w}"
                        env.STABLE_W = "${100 - w}"
                        env.CTAG = params.CANARY_TAG ?: sh(script: 'git describe --tags --always', returnStdout: true).trim()
                        currentBuild.displayName = "#${env.BUILD_NUMBER} ${svc} ${env.DO_ACTION} ${env.CTAG}"
                    }
                }
            }
            stage('Build and test') {
                when { expression { env.DO_ACTION != 'rollback' } }
                steps {
                    sh 'scripts/setup.sh'
                    sh 'make -C build -j"$(nproc)" check || { sed -n 1,400p build/test-suite.log; exit 1; }'
                }
            }
            stage('Image') {
                when { expression { env.DO_ACTION == 'canary' } }
                steps {
                    sh 'k8s/deploy --tag "$CTAG" --registry "$REGISTRY" image "$SERVICE"'
                }
            }
            stage('Simulator gate') {
                when { expression { env.DO_ACTION != 'rollback' } }
                steps {
                    // The same split, faults and SLOs, rehearsed in virtual time before the cluster sees it.
                    // The scenario's canary: key runs Flagger's analysis (stepWeight % more every interval
                    // while the canary's success rate and p99 hold, promotion at maxWeight, rollback after
                    // threshold failed checks). meshsim run exits 0 when the canary was promoted and every
                    // slo: objective held, 1 when the canary was rolled back or not promoted in time, or an
                    // objective failed (the report's canary and slo tables say which), 2 when the scenario
                    // or the charts are bad.
                    sh '''
                        test -f "$SCENARIO" || { echo "no gate scenario $SCENARIO"; exit 1; }
                        rc=0
                        build/meshsim run --seed 1 "$SCENARIO" || rc=$?
                        case $rc in
                            0) echo "gate: $SCENARIO: canary promoted, objectives held" ;;
                            1) echo "gate: $SCENARIO: canary rolled back or not promoted, or a service-level objective failed"; exit 1 ;;
                            *) echo "gate: $SCENARIO: meshsim run could not run it (exit $rc)"; exit "$rc" ;;
                        esac
                    '''
                }
            }
            stage('Canary deploy') {
                when { expression { env.DO_ACTION == 'canary' } }
                steps {
                    script {
                        String stable = params.STABLE_TAG ? "--tag ${params.STABLE_TAG}" : ''
                        sh "k8s/deploy --registry \"\$REGISTRY\" ${stable} --canary-tag \"\$CTAG\" canary \"\$SERVICE\""
                    }
                }
            }
            stage('Traffic weights') {
                when { expression { env.DO_ACTION in ['canary', 'weights'] } }
                steps {
                    sh 'k8s/deploy weights "$SERVICE" "$STABLE_W" "$CANARY_W"'
                }
            }
            stage('Promote') {
                when { expression { env.DO_ACTION == 'promote' } }
                steps {
                    sh 'k8s/deploy --tag "$CTAG" promote "$SERVICE"'
                }
            }
            stage('Rollback') {
                when { expression { env.DO_ACTION == 'rollback' } }
                steps {
                    sh 'k8s/deploy rollback "$SERVICE"'
                }
            }
            stage('Smoke') {
                steps {
                    sh 'k8s/deploy smoke "$SERVICE"'
                }
            }
        }
        post {
            failure {
                script {
                    if (env.DO_ACTION in ['canary', 'weights', 'promote']) {
                        echo "${svc}: ${env.DO_ACTION} failed; sending all traffic back to stable"
                        sh 'k8s/deploy rollback "$SERVICE" || true'
                    }
                }
            }
        }
    }
}
